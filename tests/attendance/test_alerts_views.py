"""Absence alert pages: the office's open list, a homeroom teacher's, one alert, recording
the outcome with one tap, and the child's day record that keeps the whole story."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import AbsenceAlert, AttendanceCorrection
from attendance.services import alerts_for_roll_call

from .. import factories as f
from .leave_builders import actors, lesson, mark, term_around_today

A = AbsenceAlert.Status


@pytest.fixture
def today(world):
    term_around_today(world.term)
    return timezone.localdate()


def _absent(world, student, day, *, title="作业辅导", start=(16, 40)):
    row = lesson(world.term, day, [student], tutors=[world.tutor], title=title, start=start,
                 end=(start[0] + 1, 0))
    record = mark(row, student, "absent", by=world.tutor.user)
    alerts_for_roll_call(lesson=row, records=[record], actor=actors(world)["tutor"])
    return AbsenceAlert.objects.get(record=record)


def test_the_office_sees_open_alerts_escalated_first(world, today, login):
    first = _absent(world, world.child, today)
    second = _absent(world, world.sibling, today, title="篮球", start=(17, 30))
    second.status = A.ESCALATED
    second.escalated_at = timezone.now()
    second.save()
    page = login(world.coordinator).get(reverse("attendance:alert_list")).content.decode()
    assert page.index("张小红") < page.index("张小明")
    assert "已升级" in page and "家长已接回" in page
    assert f'id="alert-{first.pk}"' in page


def test_homeroom_teacher_sees_only_their_homeroom(world, today, login):
    _absent(world, world.child, today)
    _absent(world, world.sibling, today, title="篮球", start=(17, 30))
    page = login(world.homeroom_teacher.user).get(
        reverse("attendance:alert_list")).content.decode()
    assert "张小明" in page and "张小红" not in page


def test_gates(world, today, login, client):
    alert = _absent(world, world.child, today)
    detail = reverse("attendance:alert_detail", args=[alert.pk])
    assert client.get(reverse("attendance:alert_list")).status_code == 302
    assert login(world.guardian.user).get(reverse("attendance:alert_list")).status_code == 403
    assert login(world.guardian.user).get(detail).status_code == 200
    assert login(world.other_guardian.user).get(detail).status_code == 404
    assert login(world.other_homeroom_teacher.user).get(detail).status_code == 404
    response = login(world.other_guardian.user).post(
        reverse("attendance:alert_handle", args=[alert.pk]), {"outcome": "家长已接回"})
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == A.OPEN


def test_one_tap_records_the_outcome(world, today, login):
    alert = _absent(world, world.child, today)
    client = login(world.homeroom_teacher.user)
    back = reverse("attendance:alert_list")
    response = client.post(reverse("attendance:alert_handle", args=[alert.pk]),
                           {"outcome": "已联系，在家", "next": back})
    assert response.status_code == 302 and response.url == back
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.handled_by) == (
        A.HANDLED, "已联系，在家", world.homeroom_teacher.user)
    # A second person sees who answered first.
    response = login(world.guardian.user).post(
        reverse("attendance:alert_handle", args=[alert.pk]),
        {"outcome_text": "我接回了"}, follow=True)
    assert "已由" in response.content.decode() and "已联系，在家" in response.content.decode()


def test_guardian_records_in_their_own_words(world, today, login):
    alert = _absent(world, world.child, today)
    login(world.guardian.user).post(reverse("attendance:alert_handle", args=[alert.pk]),
                                    {"outcome_text": "孩子发烧，我已接回家"})
    alert.refresh_from_db()
    assert alert.outcome == "孩子发烧，我已接回家"


def test_the_day_record_keeps_the_whole_story(world, today, login):
    alert = _absent(world, world.child, today)
    alert.notified_at = alert.raised_at
    alert.escalated_at = alert.raised_at + dt.timedelta(minutes=15)
    alert.status, alert.handled_at = A.HANDLED, alert.raised_at + dt.timedelta(minutes=20)
    alert.handled_by, alert.outcome = world.duty_teacher.user, "在校内找到"
    alert.save()
    AttendanceCorrection.objects.create(record=alert.record, old_status="absent",
                                        new_status="late", reason="迟到20分钟",
                                        corrected_by=world.coordinator)
    url = reverse("attendance:student_day", args=[world.child.pk, today.isoformat()])
    for user in (world.guardian.user, world.homeroom_teacher.user, world.coordinator):
        page = login(user).get(url).content.decode()
        for text in ("已通知家长和班主任", "已升级给值日教师和课后服务办公室", "在校内找到",
                     "缺勤 → <strong>迟到</strong>", "迟到20分钟"):
            assert text in page, (user, text)
    assert login(world.other_guardian.user).get(url).status_code == 404
    bad = reverse("attendance:student_day", args=[world.child.pk, "2026-13-40"])
    assert login(world.guardian.user).get(bad).status_code == 404


def test_alert_list_query_count_does_not_grow(world, today, login,
                                              django_assert_max_num_queries):
    client = login(world.coordinator)
    url = reverse("attendance:alert_list")

    def add(n, offset):
        for i in range(n):
            child = f.StudentFactory(school=world.school, homeroom=world.homeroom)
            _absent(world, child, today - dt.timedelta(days=offset + i))

    add(2, 0)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    add(12, 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('id="alert-') == 14


def test_office_home_panel(world, today, login):
    _absent(world, world.child, today)
    page = login(world.coordinator).get(reverse("school:home")).content.decode()
    assert "待处理 1 条" in page
    page = login(world.homeroom_teacher.user).get(reverse("school:home")).content.decode()
    assert "缺勤提醒 1" in page
    page = login(world.guardian.user).get(reverse("school:home")).content.decode()
    assert "缺勤提醒：作业辅导点名未到" in page
