"""Leave pages: who gets in, asking and recording through the form, the queue's one-tap
decisions, cancelling, a family's page and a child's history, with constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import exceptions as e
from attendance.display import day_label
from attendance.models import AttendanceRecord, LeaveRequest, LeaveRequestChange
from attendance.services import leave_request_create, leave_transition

from .. import factories as f
from .leave_builders import actors, lesson, mark, term_around_today

L = LeaveRequest.Status


@pytest.fixture
def today(world):
    term_around_today(world.term)
    return timezone.localdate()


@pytest.fixture
def tomorrow_lessons(world, today):
    day = today + dt.timedelta(days=1)
    return [lesson(world.term, day, [world.child, world.other_child], tutors=[world.tutor]),
            lesson(world.term, day, [world.child], start=(17, 30), end=(18, 10), title="篮球",
                   tutors=[world.external])]


def _ask(world, student=None, guardian=None, day=None, reason="发烧"):
    student = student or world.child
    guardian = guardian or world.guardian
    day = day or timezone.localdate() + dt.timedelta(days=1)
    return leave_request_create(student=student, term=world.term, reason=reason,
                                start_date=day, end_date=day,
                                actor=actors(world)["guardian" if guardian == world.guardian
                                                    else "other_guardian"])


# ---------------------------------------------------------------------------- gates


@pytest.mark.parametrize("name,args", [
    ("attendance:my", []), ("attendance:leave_queue", []), ("attendance:alert_list", []),
])
def test_anonymous_is_sent_to_login(client, world, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_wrong_roles_get_403(world, login):
    assert login(world.tutor.user).get(reverse("attendance:leave_queue")).status_code == 403
    assert login(world.guardian.user).get(reverse("attendance:leave_queue")).status_code == 403
    assert login(world.tutor.user).get(reverse("attendance:my")).status_code == 403


def test_a_leave_not_yours_is_404(world, today, login):
    leave = _ask(world, student=world.other_child, guardian=world.other_guardian)
    url = reverse("attendance:leave_detail", args=[leave.pk])
    assert login(world.guardian.user).get(url).status_code == 404
    assert login(world.other_homeroom_teacher.user).get(url).status_code == 404
    assert login(world.homeroom_teacher.user).get(url).status_code == 200
    response = login(world.guardian.user).post(
        reverse("attendance:leave_move", args=[leave.pk]),
        {"to_status": L.CANCELLED, "status": L.PENDING})
    assert response.status_code == 404
    assert LeaveRequest.objects.get().status == L.PENDING


# ---------------------------------------------------------------------------- asking


def test_guardian_asks_a_day_through_the_form(world, today, login):
    client = login(world.guardian.user)
    url = reverse("attendance:leave_new", args=[world.child.pk])
    page = client.get(url)
    assert page.status_code == 200 and "为张小明请假" in page.content.decode()
    day = today + dt.timedelta(days=2)
    response = client.post(url, {"kind": "days", "start_date": day.isoformat(),
                                 "end_date": "", "reason": "回老家"})
    leave = LeaveRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "attendance:leave_detail", args=[leave.pk])
    assert (leave.start_date, leave.end_date, leave.status, leave.reason) == (
        day, day, L.PENDING, "回老家")


def test_guardian_asks_particular_lessons(world, today, tomorrow_lessons, login):
    client = login(world.guardian.user)
    url = reverse("attendance:leave_new", args=[world.child.pk])
    page = client.get(url).content.decode()
    assert "篮球" in page and "作业辅导" in page
    client.post(url, {"kind": "lessons", "lessons": [str(tomorrow_lessons[1].pk)],
                      "reason": "牙疼"})
    leave = LeaveRequest.objects.get()
    assert list(leave.lessons.all()) == [tomorrow_lessons[1]]


def test_a_past_day_is_refused_on_the_form(world, today, login):
    client = login(world.guardian.user)
    yesterday = today - dt.timedelta(days=1)
    response = client.post(reverse("attendance:leave_new", args=[world.child.pk]),
                           {"kind": "days", "start_date": yesterday.isoformat(),
                            "end_date": yesterday.isoformat(), "reason": "补请"})
    assert response.status_code == 200
    assert e.LEAVE_PAST_DAY.format(day=day_label(yesterday), today=day_label(today)) in \
        response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_a_child_not_ones_own_is_404_for_a_guardian(world, today, login):
    response = login(world.guardian.user).post(
        reverse("attendance:leave_new", args=[world.other_child.pk]),
        {"kind": "days", "start_date": today.isoformat(), "reason": "x"})
    assert response.status_code == 404
    assert not LeaveRequest.objects.exists()


def test_homeroom_teacher_records_a_phone_call(world, today, login):
    client = login(world.homeroom_teacher.user)
    url = reverse("attendance:leave_new", args=[world.other_child.pk])
    assert "登记请假" in client.get(url).content.decode()
    client.post(url, {"kind": "days", "start_date": today.isoformat(), "reason": "家长来电：发烧"})
    leave = LeaveRequest.objects.get()
    assert leave.status == L.APPROVED and leave.recorded_by_staff
    # Not their homeroom: not visible, so 404.
    other = reverse("attendance:leave_new", args=[world.sibling.pk])
    assert client.get(other).status_code == 404


# ---------------------------------------------------------------------------- the queue


def test_queue_approve_in_one_tap_and_decline_with_a_reason(world, today, tomorrow_lessons,
                                                            login):
    first = _ask(world)
    second = _ask(world, student=world.other_child, guardian=world.other_guardian)
    third = _ask(world, student=world.sibling)  # another homeroom: not in this queue
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("attendance:leave_queue")).content.decode()
    assert "张小明" in page and "李华" in page and "张小红" not in page
    assert "待审批 <span class=\"badge text-bg-light\">2</span>" in page
    queue = reverse("attendance:leave_queue")
    move = reverse("attendance:leave_move", args=[first.pk])
    response = client.post(move, {"to_status": L.APPROVED, "status": L.PENDING, "next": queue})
    assert response.status_code == 302 and response.url == queue
    first.refresh_from_db()
    assert first.status == L.APPROVED
    assert AttendanceRecord.objects.filter(leave=first).count() == 2
    # Declining without a reason is refused, and says why.
    move = reverse("attendance:leave_move", args=[second.pk])
    response = client.post(move, {"to_status": L.DECLINED, "status": L.PENDING,
                                  "comment": "", "next": queue}, follow=True)
    assert e.LEAVE_COMMENT_REQUIRED.format(label="不批准") in response.content.decode()
    second.refresh_from_db()
    assert second.status == L.PENDING
    client.post(move, {"to_status": L.DECLINED, "status": L.PENDING, "comment": "当天有考试"})
    second.refresh_from_db()
    assert (second.status, second.decision_comment) == (L.DECLINED, "当天有考试")
    third.refresh_from_db()
    assert third.status == L.PENDING


def test_the_office_sees_the_whole_school(world, today, login):
    _ask(world)
    _ask(world, student=world.sibling)
    page = login(world.coordinator).get(reverse("attendance:leave_queue")).content.decode()
    assert "张小明" in page and "张小红" in page


def test_guardian_cancels_on_the_leave_page(world, today, tomorrow_lessons, login):
    leave = _ask(world)
    leave_transition(leave=leave, to_status=L.APPROVED, actor=actors(world)["homeroom_teacher"])
    client = login(world.guardian.user)
    page = client.get(reverse("attendance:leave_detail", args=[leave.pk])).content.decode()
    assert "撤销请假" in page and "批准</button>" not in page
    client.post(reverse("attendance:leave_move", args=[leave.pk]),
                {"to_status": L.CANCELLED, "status": L.APPROVED})
    leave.refresh_from_db()
    assert leave.status == L.CANCELLED
    assert not AttendanceRecord.objects.filter(leave=leave).exists()
    assert list(LeaveRequestChange.objects.filter(leave=leave).values_list(
        "to_status", "actor_role")) == [(L.APPROVED, "homeroom_teacher"),
                                        (L.CANCELLED, "guardian")]


def test_bad_move_parameters_change_nothing(world, today, login):
    leave = _ask(world)
    client = login(world.homeroom_teacher.user)
    for data in ({"to_status": "nonsense", "status": L.PENDING}, {"to_status": L.APPROVED}):
        client.post(reverse("attendance:leave_move", args=[leave.pk]), data)
    leave.refresh_from_db()
    assert leave.status == L.PENDING


# ---------------------------------------------------------------------------- the family's pages


def test_my_page_shows_today_and_the_leave(world, today, login):
    hw = lesson(world.term, today, [world.child, world.sibling], tutors=[world.tutor])
    mark(hw, world.child, "late", by=world.tutor.user)
    _ask(world, student=world.sibling)
    page = login(world.guardian.user).get(reverse("attendance:my")).content.decode()
    assert "张小明" in page and "迟到" in page
    assert "张小红" in page and "待审批" in page and "未点名" in page


def _grow(world, today, n):
    """n days of two lessons each for the guardian's child, with leave and a record each."""
    staff = f.StaffFactory(school=world.school)
    for i in range(n):
        day = today - dt.timedelta(days=i + 1)
        for start, end, title in (((16, 40), (17, 20), "作业辅导"), ((17, 30), (18, 10), "篮球")):
            row = lesson(world.term, day, [world.child], start=start, end=end, title=title,
                         tutors=[staff])
            mark(row, world.child, "absent" if i % 3 == 0 else "present", by=staff.user)
        LeaveRequest.objects.create(student=world.child, term=world.term, start_date=day,
                                    end_date=day, reason="x", requested_by=world.guardian.user,
                                    status=L.DECLINED)


def test_history_query_count_does_not_grow(world, today, login, django_assert_max_num_queries):
    client = login(world.guardian.user)
    url = reverse("attendance:student_history", args=[world.child.pk])
    _grow(world, today, 2)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    _grow_more = 12
    for i in range(_grow_more):
        day = today - dt.timedelta(days=10 + i)
        row = lesson(world.term, day, [world.child], tutors=[world.tutor])
        mark(row, world.child, "present", by=world.tutor.user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("出勤") >= 12


def test_queue_query_count_does_not_grow(world, today, login, django_assert_max_num_queries):
    client = login(world.homeroom_teacher.user)
    url = reverse("attendance:leave_queue")

    def add(n, offset):
        for i in range(n):
            child = f.StudentFactory(school=world.school, homeroom=world.homeroom)
            guardian = f.GuardianFactory(school=world.school)
            f.link_guardian(child, guardian)
            LeaveRequest.objects.create(student=child, term=world.term,
                                        start_date=today + dt.timedelta(days=offset + i),
                                        end_date=today + dt.timedelta(days=offset + i),
                                        reason="感冒", requested_by=guardian.user)

    add(2, 1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    add(15, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('value="approved">批准</button>') == 17


def test_homeroom_teacher_home_panel_counts(world, today, login):
    _ask(world)
    page = login(world.homeroom_teacher.user).get(reverse("school:home")).content.decode()
    assert "待审批请假 1" in page and "缺勤提醒 0" in page


def test_guardian_home_panel(world, today, login):
    _ask(world)
    page = login(world.guardian.user).get(reverse("school:home")).content.decode()
    assert "今日考勤" in page and "请假待审批 1 条" in page


def test_principal_reads_but_does_not_decide(world, today, login):
    leave = _ask(world)
    client = login(world.principal)
    page = client.get(reverse("attendance:leave_queue")).content.decode()
    assert "张小明" in page and "批准</button>" not in page
    client.post(reverse("attendance:leave_move", args=[leave.pk]),
                {"to_status": L.APPROVED, "status": L.PENDING})
    leave.refresh_from_db()
    assert leave.status == L.PENDING
