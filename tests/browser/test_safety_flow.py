"""Duty and patrols on a phone, through the real pages only (issue 12, "done when").

The office generates the term's roster; the day's duty teacher (on duty by the roster, with no
值日教师 grant) finds the duty on the home page, picks the lesson by its venue and records a
patrol with a finding (the tutor late, the head count short of the roll call, a photo); the
office sees "今日巡查 1 次，发现问题 1 个" and the follow-up waiting, assigns it to the tutor
with a due date; the tutor sees it on the home page and reports what was done; the office
closes it with a note. Each person is on their own phone (390×844); the database is checked
after the pages.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from afterschool.models import Notice
from attendance.models import AttendanceRecord
from safety.models import DutyAssignment, DutyKind, DutyRoster, FollowUp, PatrolReport

from .. import factories as f
from ..safety.builders import jpeg_bytes, lesson_now, term_around_today
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser


def test_patrol_with_a_finding_assigned_and_closed(browser, live_server, world, tmp_path,
                                                   settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    term = term_around_today(world.term)
    today = timezone.localdate()
    classmate = f.StudentFactory(school=world.school, homeroom=world.homeroom, name="王小刚")
    lesson = lesson_now(world, [world.child, world.other_child, classmate],
                        tutors=[world.tutor], title="作业辅导（七年级1班）", venue="301教室")
    lesson_now(world, [world.sibling], tutors=[world.external], title="篮球", venue="操场")
    # The tutor took the roll call: three in the room.
    AttendanceRecord.objects.filter(lesson=lesson).update(status="present",
                                                          marked_at=timezone.now())
    lesson.roll_call_at = timezone.now()
    lesson.save(update_fields=["roll_call_at"])
    photo = tmp_path / "巡查.jpg"
    photo.write_bytes(jpeg_bytes())

    # 1. The office generates the roster from today.
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto("/safety/roster/")
        expect(page.get_by_text("本学期的值日表尚未生成")).to_be_visible()
        page.get_by_role("button", name="生成值日表").click()
        expect(page.get_by_text("值日表已生成")).to_be_visible()
        shot(page, "safety-01-roster")
        assert fits_the_screen(page)
    roster = DutyRoster.objects.get(term=term)
    # Whoever the roster put on duty today as duty teacher is told so on the home page; the
    # test makes it the homeroom teacher (a plain teacher, no 值日教师 grant) for the story.
    todays = DutyAssignment.objects.filter(roster=roster, date=today, kind=DutyKind.TEACHER)
    if todays.exists():
        todays.update(staff=world.homeroom_teacher)
    else:  # today is not a service day of the factory term: put a duty on it
        DutyAssignment.objects.create(roster=roster, date=today, staff=world.homeroom_teacher,
                                      kind=DutyKind.TEACHER)
    duty = world.homeroom_teacher

    # 2. The duty teacher records a patrol with a finding.
    with phone_of(browser, live_server, duty.user) as page:
        expect(page.get_by_text("今天您值日")).to_be_visible()
        shot(page, "safety-02-duty-home")
        page.get_by_role("link", name="记录巡查").first.click()
        # The venue's change handler is attached at DOMContentLoaded: choose after it.
        page.wait_for_load_state("domcontentloaded")
        with page.expect_navigation():  # safety.js submits the venue at once
            page.get_by_label("按地点找课次").select_option("301教室")
        expect(page.get_by_role("link", name="篮球")).to_have_count(0)
        shot(page, "safety-03-lessons-by-venue")
        page.get_by_role("link", name="作业辅导（七年级1班）").click()
        expect(page.get_by_text("点名在班 3 人")).to_be_visible()
        page.locator("label[for=presence-late]").click()
        page.get_by_label("实到人数").fill("2")
        page.locator("label[for=activity-new_lesson]").click()
        page.get_by_label("照片（可不传）").set_input_files(str(photo))
        page.get_by_label("备注", exact=True).fill("16:50 到班时辅导教师刚到，正在讲新课")
        shot(page, "safety-04-patrol-form")
        assert fits_the_screen(page)
        page.get_by_role("button", name="保存巡查记录").click()
        expect(page.get_by_text("发现问题：辅导教师迟到")).to_be_visible()
        assert fits_the_screen(page)
    report = PatrolReport.objects.get()
    assert (report.recorded_by, report.teacher, report.presence, report.activity) == (
        duty.user, world.tutor, "late", "new_lesson")
    assert report.head_count_mismatch and (report.head_count, report.roll_call_count) == (2, 3)
    assert report.photo
    follow_up = FollowUp.objects.get(patrol=report)
    assert follow_up.status == "open"

    # 3. The office sees the day's summary and assigns the follow-up to the tutor.
    due = today + dt.timedelta(days=2)
    with phone_of(browser, live_server, world.coordinator) as page:
        expect(page.get_by_text("今日巡查 1 次，发现问题 1 个")).to_be_visible()
        shot(page, "safety-05-office-home")
        page.get_by_role("link", name="整改 1").click()
        page.locator(f"#follow-up-{follow_up.pk}").click()
        expect(page.get_by_text("活动：讲授新课")).to_be_visible()
        expect(page.get_by_role("img", name="巡查照片")).to_have_count(0)  # on the patrol page
        page.get_by_label("整改负责人").select_option(label=world.tutor.name)
        page.get_by_label("整改期限").fill(due.isoformat())
        shot(page, "safety-06-assign")
        page.get_by_role("button", name="指派整改").click()
        expect(page.locator("#follow-up-status")).to_have_text("整改中")
        assert fits_the_screen(page)
    follow_up.refresh_from_db()
    assert (follow_up.assignee, follow_up.due_date) == (world.tutor, due)
    assert Notice.objects.filter(user=world.tutor.user, title__startswith="整改任务").exists()

    # 4. The tutor sees it on the home page, with the photo, and reports what was done.
    with phone_of(browser, live_server, world.tutor.user) as page:
        expect(page.get_by_text("巡查反馈与整改")).to_be_visible()
        page.locator("#my-findings a").first.click()
        page.get_by_role("link", name="查看巡查记录和照片").click()
        image = page.get_by_role("img", name="巡查照片：作业辅导（七年级1班）")
        expect(image).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1600
        shot(page, "safety-07-tutor-sees-patrol")
        page.go_back()
        page.get_by_label("整改情况（必填）").fill("已按计划只做作业辅导，提前 5 分钟到班。")
        page.get_by_role("button", name="提交整改情况").click()
        expect(page.locator("#follow-up-status")).to_have_text("已整改，待验收")
        assert fits_the_screen(page)

    # 5. The office closes it with a note.
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto(f"/safety/follow-ups/{follow_up.pk}/")
        page.get_by_label("验收意见（必填）").fill("复查两次，均按计划开展，按时到岗。")
        page.get_by_role("button", name="验收关闭").click()
        expect(page.locator("#follow-up-status")).to_have_text("已关闭")
        shot(page, "safety-08-closed")
        assert fits_the_screen(page)
    follow_up.refresh_from_db()
    assert follow_up.status == "closed" and follow_up.closed_by == world.coordinator
    assert list(follow_up.changes.values_list("to_status", "actor_role")) == [
        ("assigned", "coordinator"), ("rectified", "tutor"), ("closed", "coordinator")]
