"""Attendance on a phone, through the real pages only (issue 11, "done when").

A guardian asks leave for 张小明; the homeroom teacher approves it from the home page; the tutor
takes the roll call with the leave pre-selected and 李华 absent; 李华's guardian and the
homeroom teacher see the absence alert, the homeroom teacher records "已联系，在家"; the day
locks; the office corrects 李华's record with a reason, and the child's day record shows both
the alert's story and the correction. Each person is on their own phone (390×844); the
database is checked after the pages.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from afterschool.models import Notice
from attendance.models import (
    AbsenceAlert,
    AttendanceCorrection,
    AttendancePolicy,
    AttendanceRecord,
    LeaveRequest,
)

from .. import factories as f
from ..attendance.leave_builders import lesson, term_around_today
from .conftest import PHONE, fits_the_screen, shot, sign_in

pytestmark = pytest.mark.browser


@contextmanager
def phone(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, user.phone, f.DEFAULT_PASSWORD)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def test_leave_roll_call_alert_lock_and_correction(browser, live_server, world):
    term_around_today(world.term)
    # Open all day while the roll call is taken; "the day closes" later in the test.
    policy = AttendancePolicy.objects.create(school=world.school, lock_time=dt.time(23, 59))
    today = timezone.localdate()
    classmate = f.StudentFactory(school=world.school, homeroom=world.homeroom, name="王小刚")
    hw = lesson(world.term, today, [world.child, world.other_child, classmate],
                tutors=[world.tutor], title="作业辅导（七年级1班）")

    # 1. The guardian asks leave for 张小明 for today.
    with phone(browser, live_server, world.guardian.user) as page:
        page.goto("/attendance/my/")
        page.locator(f"#child-{world.child.pk}").get_by_role("link", name="请假").click()
        expect(page.get_by_role("heading", name="为张小明请假")).to_be_visible()
        page.get_by_label("请假原因").fill("发烧，在家休息")
        shot(page, "attendance-01-leave-form")
        page.get_by_role("button", name="提交请假").click()
        expect(page.get_by_text("待审批").first).to_be_visible()
        assert fits_the_screen(page)
    leave = LeaveRequest.objects.get()
    assert (leave.student, leave.start_date, leave.status) == (world.child, today, "pending")

    # 2. The homeroom teacher approves it from the home page.
    with phone(browser, live_server, world.homeroom_teacher.user) as page:
        page.goto("/")
        page.get_by_role("link", name="待审批请假 1").click()
        card = page.locator(f"#leave-{leave.pk}")
        expect(card).to_contain_text("发烧，在家休息")
        shot(page, "attendance-02-leave-queue")
        card.get_by_role("button", name="批准", exact=True).click()
        expect(page.get_by_text("张小明的请假：已批准。")).to_be_visible()
        assert fits_the_screen(page)
    leave.refresh_from_db()
    assert leave.status == "approved"
    assert AttendanceRecord.objects.get(lesson=hw, student=world.child).leave == leave

    # 3. The tutor takes the roll call: 张小明 pre-selected 请假, 李华 absent.
    with phone(browser, live_server, world.tutor.user) as page:
        page.goto(f"/attendance/lessons/{hw.pk}/")
        expect(page.locator(f"#s{world.child.pk}-leave")).to_be_checked()
        expect(page.get_by_text("已请假")).to_be_visible()
        page.locator(f"label[for=s{world.other_child.pk}-absent]").click()
        shot(page, "attendance-03-roll-call")
        assert fits_the_screen(page)
        page.get_by_role("button", name="提交点名").click()
        page.wait_for_load_state()
    statuses = dict(AttendanceRecord.objects.filter(lesson=hw).values_list("student__name",
                                                                           "status"))
    assert statuses == {"张小明": "leave", "李华": "absent", "王小刚": "present"}
    alert = AbsenceAlert.objects.get()
    assert (alert.student, alert.status) == (world.other_child, "open")
    assert alert.notified_at is not None
    assert set(Notice.objects.filter(title__startswith="缺勤提醒").values_list(
        "user_id", flat=True)) == {world.other_guardian.user_id, world.homeroom_teacher.user_id}

    # 4. 李华's guardian sees the alert on the home page.
    with phone(browser, live_server, world.other_guardian.user) as page:
        page.goto("/")
        expect(page.get_by_text("缺勤提醒：作业辅导（七年级1班）点名未到")).to_be_visible()
        shot(page, "attendance-04-guardian-alert")
        assert fits_the_screen(page)

    # 5. The homeroom teacher sees it too and records what became of the child.
    with phone(browser, live_server, world.homeroom_teacher.user) as page:
        page.goto("/")
        page.get_by_role("link", name="缺勤提醒 1").click()
        card = page.locator(f"#alert-{alert.pk}")
        expect(card).to_contain_text("李华")
        shot(page, "attendance-05-alerts")
        card.get_by_role("button", name="已联系，在家").click()
        expect(page.get_by_text("已记录李华的处理结果：已联系，在家。")).to_be_visible()
        assert fits_the_screen(page)
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.handled_by) == (
        "handled", "已联系，在家", world.homeroom_teacher.user)

    # 6. The day closes: the roll call is locked.
    policy.lock_time = dt.time(0, 0)
    policy.save()

    # 7. The office corrects 李华's record with a reason; the history shows both.
    with phone(browser, live_server, world.coordinator) as page:
        page.goto(f"/attendance/lessons/{hw.pk}/")
        expect(page.get_by_text("已锁定")).to_be_visible()
        row = page.locator("li", has_text="李华")
        row.get_by_role("link", name="更正").click()
        page.get_by_label("更正为").select_option("late")
        page.get_by_label("更正原因").fill("家长送来晚到30分钟，点名时未到")
        page.get_by_role("button", name="保存更正").click()
        expect(page.get_by_text("已更正李华的点名。")).to_be_visible()
        page.goto(f"/attendance/students/{world.other_child.pk}/{today.isoformat()}/")
        day = page.locator(f"#record-{alert.record_id}")
        expect(day).to_contain_text("缺勤 → 迟到")
        expect(day).to_contain_text("家长送来晚到30分钟，点名时未到")
        expect(day).to_contain_text("已联系，在家")
        expect(day).to_contain_text("已通知家长和班主任")
        shot(page, "attendance-06-day-record")
        assert fits_the_screen(page)
    correction = AttendanceCorrection.objects.get()
    assert (correction.old_status, correction.new_status, correction.corrected_by) == (
        "absent", "late", world.coordinator)
    record = AttendanceRecord.objects.get(lesson=hw, student=world.other_child)
    assert record.status == "late"
    # The alert keeps the first answer; a correction after it was handled changes nothing.
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("handled", "已联系，在家")
