"""Patrols, their photos and follow-ups, and what the assessment reads of them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from afterschool.models import Notice
from attendance.models import AttendanceRecord
from safety import exceptions as e
from safety import selectors as sel
from safety.models import DutyKind, FollowUp, FollowUpChange, PatrolReport
from safety.services import follow_up_transition, patrol_record
from tests import factories as f

from .builders import (
    actor_of,
    duty_today,
    jpeg_bytes,
    lesson,
    lesson_now,
    office,
    term_around_today,
)

pytestmark = pytest.mark.django_db
P, A, F = PatrolReport.Presence, PatrolReport.Activity, FollowUp.Status


@pytest.fixture
def today_lesson(world):
    term_around_today(world.term)
    return lesson_now(world)


def rostered(world):
    """The tutor's colleague on duty today by the roster (no 值日教师 grant)."""
    duty_today(world, world.homeroom_teacher)
    return actor_of(world.homeroom_teacher, world)


def test_a_normal_patrol_by_the_rostered_teacher(world, today_lesson):
    report = patrol_record(actor=rostered(world), lesson=today_lesson, presence=P.PRESENT,
                           head_count=2)
    assert not report.has_finding and report.teacher == world.tutor
    assert (report.expected_count, report.roll_call_count) == (2, None)
    assert not FollowUp.objects.exists()


def test_leaders_and_granted_duty_teachers_patrol_any_day(world, today_lesson):
    for who in (world.principal, world.coordinator, world.duty_teacher.user):
        patrol_record(actor=actor_of(who, world), lesson=today_lesson, presence=P.PRESENT)
    assert PatrolReport.objects.count() == 3


def test_someone_not_on_duty_is_refused(world, today_lesson):
    with pytest.raises(e.SafetyError, match="今天不是您值日"):
        patrol_record(actor=actor_of(world.tutor, world), lesson=today_lesson,
                      presence=P.PRESENT)
    assert not PatrolReport.objects.exists()


def test_a_lesson_of_another_school_is_refused_and_nothing_written(world, today_lesson):
    foreign_term = f.TermFactory(school=world.other_school,
                                 start_date=world.term.start_date, end_date=world.term.end_date)
    foreign = lesson(foreign_term, timezone.localdate(), [world.foreign_student],
                     start=(0, 0), end=(23, 59), title="外校作业辅导")
    with pytest.raises(e.SafetyError) as caught:
        patrol_record(actor=office(world), lesson=foreign, presence=P.LATE)
    assert caught.value.message == e.PATROL_LESSON_OTHER_SCHOOL.format(lesson="外校作业辅导")
    assert not PatrolReport.objects.exists() and not FollowUp.objects.exists()


def test_a_finding_opens_a_follow_up_and_tells_the_office_and_the_tutor(world, today_lesson):
    AttendanceRecord.objects.filter(lesson=today_lesson).update(
        status="present", marked_at=timezone.now())
    today_lesson.roll_call_at = timezone.now()
    today_lesson.save(update_fields=["roll_call_at"])
    report = patrol_record(actor=rostered(world), lesson=today_lesson, presence=P.LATE,
                           head_count=1, activity=A.EXAM, notes="在考单元测试")
    assert report.has_finding and report.head_count_mismatch
    assert report.roll_call_count == 2
    assert report.finding_labels() == ["辅导教师迟到", "人数不符（实到 1，点名在班 2）",
                                       "活动：考试"]
    follow_up = FollowUp.objects.get()
    assert (follow_up.patrol, follow_up.status) == (report, F.OPEN)
    told = set(Notice.objects.filter(title__contains="巡查").values_list("user_id", flat=True))
    assert told == {world.coordinator.pk, world.tutor.user_id}


def test_head_count_without_a_roll_call_is_not_a_mismatch(world, today_lesson):
    report = patrol_record(actor=office(world), lesson=today_lesson, presence=P.PRESENT,
                           head_count=7)
    assert not report.head_count_mismatch and not report.has_finding


@pytest.mark.parametrize("case", ["not_today", "cancelled", "not_started", "teacher",
                                  "head_count", "notes", "presence"])
def test_bad_patrols_are_refused(world, today_lesson, case):
    kwargs = {"presence": P.PRESENT}
    target = today_lesson
    expected = ""
    if case == "not_today":
        target = lesson(world.term, timezone.localdate() - dt.timedelta(days=1),
                        [world.child], title="昨天的课", tutors=[world.tutor])
        expected = "只能巡查今天的课次"
    elif case == "cancelled":
        target.is_cancelled = True
        target.save()
        expected = "已取消"
    elif case == "not_started":
        target = lesson_now(world, title="晚些的课", minutes_ago=-30)
        if target.date != timezone.localdate() or target.start_time < timezone.localtime().time():
            pytest.skip("too close to midnight for a later lesson today")
        expected = "还不能巡查"
    elif case == "teacher":
        kwargs["teacher"] = world.external
        expected = "不是“作业辅导（七年级1班）”的辅导教师"
    elif case == "head_count":
        kwargs["head_count"] = 500
        expected = "实到人数须在 0 到 100 之间"
    elif case == "notes":
        kwargs["activity"] = A.OTHER
        expected = "请在备注中写明"
    elif case == "presence":
        kwargs["presence"] = "asleep"
        expected = "无效"
    with pytest.raises(e.SafetyError) as caught:
        patrol_record(actor=office(world), lesson=target, **kwargs)
    assert expected in caught.value.message
    assert not PatrolReport.objects.exists()


# ---------------------------------------------------------------------------- photos


def test_a_photo_is_re_encoded_small_and_without_exif(world, today_lesson, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    from PIL import Image

    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg_bytes(), content_type="image/jpeg")
    report = patrol_record(actor=office(world), lesson=today_lesson, presence=P.PRESENT,
                           photo=upload)
    assert report.photo.name.startswith("patrols/") and report.photo.name.endswith(".jpg")
    stored = tmp_path / "private" / report.photo.name
    with Image.open(stored) as image:
        assert max(image.size) == 1600
        assert image.format == "JPEG"
        assert not image.getexif()
    assert "IMG_0001" not in report.photo.name


@pytest.mark.parametrize("case", ["text", "too_big", "gif"])
def test_a_bad_photo_is_refused_and_nothing_is_written(world, today_lesson, settings,
                                                       tmp_path, case, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    if case == "text":
        upload = SimpleUploadedFile("照片.jpg", b"not an image at all", "image/jpeg")
        expected = "不是可以识别的"
    elif case == "gif":
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        upload = SimpleUploadedFile("动图.gif", out.getvalue(), "image/gif")
        expected = "不是可以识别的"
    else:
        from safety.services import patrols

        monkeypatch.setattr(patrols, "MAX_PHOTO_BYTES", 1000)
        upload = SimpleUploadedFile("大.jpg", jpeg_bytes(size=(400, 400)), "image/jpeg")
        expected = "超过"
    with pytest.raises(e.SafetyError) as caught:
        patrol_record(actor=office(world), lesson=today_lesson, presence=P.LATE, photo=upload)
    assert expected in caught.value.message and caught.value.field == "photo"
    assert not PatrolReport.objects.exists() and not FollowUp.objects.exists()
    assert not (tmp_path / "private").exists() or not any((tmp_path / "private").rglob("*.*"))


# ---------------------------------------------------------------------------- follow-ups


@pytest.fixture
def finding(world, today_lesson):
    patrol_record(actor=office(world), lesson=today_lesson, presence=P.ABSENT)
    return FollowUp.objects.get()


def test_assigned_reported_and_closed_by_the_office(world, finding):
    today = timezone.localdate()
    follow_up_transition(follow_up=finding, to_status=F.ASSIGNED, actor=office(world),
                         assignee=world.tutor, due_date=today + dt.timedelta(days=3))
    assert Notice.objects.filter(user=world.tutor.user, title__startswith="整改任务").exists()
    follow_up_transition(follow_up=finding, to_status=F.RECTIFIED,
                         actor=actor_of(world.tutor, world), comment="已按时到岗")
    follow_up_transition(follow_up=finding, to_status=F.CLOSED, actor=office(world),
                         comment="复查无误")
    finding.refresh_from_db()
    assert (finding.status, finding.rectification, finding.close_note) == (
        F.CLOSED, "已按时到岗", "复查无误")
    assert finding.closed_by == world.coordinator and finding.closed_at is not None
    assert list(FollowUpChange.objects.values_list("to_status", "actor_role")) == [
        (F.ASSIGNED, "coordinator"), (F.RECTIFIED, "tutor"), (F.CLOSED, "coordinator")]


def test_follow_up_refusals(world, finding):
    today = timezone.localdate()
    ofc = office(world)
    with pytest.raises(e.SafetyError, match="不能早于今天"):
        follow_up_transition(follow_up=finding, to_status=F.ASSIGNED, actor=ofc,
                             assignee=world.tutor, due_date=today - dt.timedelta(days=1))
    foreign = f.StaffFactory(school=world.other_school)
    with pytest.raises(e.SafetyError, match="不是本校教职工"):
        follow_up_transition(follow_up=finding, to_status=F.ASSIGNED, actor=ofc,
                             assignee=foreign, due_date=today)
    with pytest.raises(e.FollowUpTransitionRefused, match="验收关闭"):
        follow_up_transition(follow_up=finding, to_status=F.CLOSED, actor=ofc)
    with pytest.raises(e.FollowUpTransitionRefused, match="没有权限"):
        follow_up_transition(follow_up=finding, to_status=F.ASSIGNED,
                             actor=actor_of(world.principal, world), assignee=world.tutor,
                             due_date=today)
    follow_up_transition(follow_up=finding, to_status=F.ASSIGNED, actor=ofc,
                         assignee=world.tutor, due_date=today)
    with pytest.raises(e.FollowUpTransitionRefused, match="不是指派给您的"):
        follow_up_transition(follow_up=finding, to_status=F.RECTIFIED,
                             actor=actor_of(world.homeroom_teacher, world), comment="做了")
    finding.refresh_from_db()
    assert finding.status == F.ASSIGNED and finding.assignee == world.tutor
    assert FollowUpChange.objects.count() == 1


def test_the_constraints_hold_in_the_database(world, finding):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=finding.pk).update(status=F.CLOSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=finding.pk).update(status=F.ASSIGNED)
    with pytest.raises(IntegrityError), transaction.atomic():
        PatrolReport.objects.filter(pk=finding.patrol_id).update(has_finding=False)


# ---------------------------------------------------------------------------- for the assessment


def test_what_the_assessment_reads(world, today_lesson):
    today = timezone.localdate()
    first, last = today.replace(day=1), today + dt.timedelta(days=31)
    duty = rostered(world)
    patrol_record(actor=duty, lesson=today_lesson, presence=P.LATE)
    patrol_record(actor=duty, lesson=today_lesson, presence=P.PRESENT, activity=A.NEW_LESSON)
    patrol_record(actor=duty, lesson=today_lesson, presence=P.PRESENT)
    other = lesson_now(world, title="书法", tutors=[world.external], venue="美术室")
    patrol_record(actor=office(world), lesson=other, presence=P.ABSENT)

    findings = sel.patrol_findings_by_teacher(world.school, first, last)
    assert findings[world.tutor.user_id] == {"late": 1, "absent": 0, "misuse": 1,
                                             "head_count": 0, "other": 0, "total": 2}
    assert findings[world.external.user_id]["absent"] == 1
    assert sel.patrol_findings_by_teacher(world.school, first, last, by="staff")[
        world.tutor.pk]["total"] == 2
    assert sel.open_follow_ups_by_teacher(world.school, first, last) == {
        world.tutor.user_id: 2, world.external.user_id: 1}
    # Closed now: still open at the end of an earlier day, closed for a later month's end.
    follow_up = FollowUp.objects.filter(patrol__teacher=world.external).get()
    follow_up_transition(follow_up=follow_up, to_status=F.CLOSED, actor=office(world),
                         comment="已谈话")
    assert sel.open_follow_ups_by_teacher(world.school, first, last) == {
        world.tutor.user_id: 2}
    yesterday_end = today - dt.timedelta(days=1)
    assert sel.open_follow_ups_by_teacher(world.school, first, yesterday_end) == {}
    assert sel.duties_by_staff(world.school, first, last) == {
        world.homeroom_teacher.user_id: [today]}
    assert sel.duties_by_staff(world.school, first, last, kind=DutyKind.LEADER) == {}
    assert sel.patrols_by_staff(world.school, first, last) == {
        world.homeroom_teacher.user_id: {"patrols": 3, "findings": 2, "days": 1},
        world.coordinator.pk: {"patrols": 1, "findings": 1, "days": 1}}
    summary = sel.patrol_summary(world.school, today)
    assert (summary["patrols"], summary["findings"], summary["open_follow_ups"]) == (4, 3, 2)
    rows = {r["staff"].pk: r for r in sel.teacher_month(world.school, first, last)}
    assert rows[world.tutor.pk]["findings"] == 2 and rows[world.tutor.pk]["misuse"] == 1
    assert rows[world.homeroom_teacher.pk]["duties"] == 1
    assert rows[world.homeroom_teacher.pk]["patrols"] == 3


def test_the_assessment_reads_in_constant_queries(world, today_lesson,
                                                  django_assert_max_num_queries):
    today = timezone.localdate()
    for _ in range(5):
        patrol_record(actor=office(world), lesson=today_lesson, presence=P.LATE)
    for read in (sel.patrol_findings_by_teacher, sel.open_follow_ups_by_teacher,
                 sel.duties_by_staff, sel.patrols_by_staff):
        with django_assert_max_num_queries(1):
            read(world.school, today, today)
    with django_assert_max_num_queries(2):
        sel.patrols_by_staff(world.school, today, today, by="staff")
    with django_assert_max_num_queries(6):
        sel.teacher_month(world.school, today, today)

