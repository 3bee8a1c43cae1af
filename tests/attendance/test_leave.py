"""Leave (请假) services: every move by every role, every refusal, the roll-call pre-fill,
cancelling before and after the lesson, the leave staff record for a family who phones."""

from __future__ import annotations

import datetime as dt

import pytest

from afterschool.models import Notice
from attendance import exceptions as e
from attendance.display import OUTCOME_LEAVE_APPROVED, day_label
from attendance.models import AbsenceAlert, AttendanceRecord, LeaveRequest, LeaveRequestChange
from attendance.selectors import approved_leave_for, leave_covering
from attendance.services import (
    alerts_for_roll_call,
    leave_record_for_family,
    leave_request_create,
    leave_transition,
)

from .leave_builders import MONDAY, TUESDAY, WEDNESDAY, actors, at, lesson, mark, record

L = LeaveRequest.Status
MORNING = at(MONDAY, 8)


@pytest.fixture
def people(world):
    return actors(world)


@pytest.fixture
def week(world):
    """Monday and Tuesday: homework (16:40) and a club (17:30) for the homeroom's children."""
    kids = [world.child, world.other_child]
    return {
        "mon_hw": lesson(world.term, MONDAY, kids),
        "mon_club": lesson(world.term, MONDAY, kids, start=(17, 30), end=(18, 10), title="篮球"),
        "tue_hw": lesson(world.term, TUESDAY, kids),
        "wed_hw": lesson(world.term, WEDNESDAY, kids),
    }


def ask(world, people, **kw):
    kw.setdefault("student", world.child)
    kw.setdefault("term", world.term)
    kw.setdefault("reason", "发烧，在家休息")
    kw.setdefault("actor", people["guardian"])
    kw.setdefault("now", MORNING)
    if "lessons" not in kw:
        kw.setdefault("start_date", MONDAY)
        kw.setdefault("end_date", kw["start_date"])
    return leave_request_create(**kw)


# ---------------------------------------------------------------------------- asking


def test_guardian_asks_a_day_and_the_homeroom_teacher_is_told(world, people, week):
    leave = ask(world, people)
    leave.refresh_from_db()
    assert (leave.status, leave.start_date, leave.end_date) == (L.PENDING, MONDAY, MONDAY)
    assert leave.requested_by == world.guardian.user and not leave.recorded_by_staff
    assert not leave.changes.exists()
    # Pending leave does not touch the roll call yet.
    assert not AttendanceRecord.objects.filter(leave__isnull=False).exists()
    notice = Notice.objects.get(user=world.homeroom_teacher.user)
    assert notice.title == "张小明的请假申请待审批"
    assert "发烧，在家休息" in notice.body


def test_guardian_asks_a_range(world, people, week):
    leave = ask(world, people, start_date=MONDAY, end_date=WEDNESDAY)
    assert (leave.start_date, leave.end_date) == (MONDAY, WEDNESDAY)


def test_guardian_asks_particular_lessons_dates_follow_them(world, people, week):
    leave = ask(world, people, lessons=[week["tue_hw"], week["mon_club"]])
    assert (leave.start_date, leave.end_date) == (MONDAY, TUESDAY)
    assert set(leave.lessons.all()) == {week["tue_hw"], week["mon_club"]}


REFUSALS = [
    ("not own child", dict(student="other_child"),
     e.LEAVE_NOT_YOUR_CHILD.format(student="李华")),
    ("past day", dict(start_date=MONDAY - dt.timedelta(days=1)),
     e.LEAVE_PAST_DAY.format(day=day_label(MONDAY - dt.timedelta(days=1)),
                             today=day_label(MONDAY))),
    ("end before start", dict(start_date=TUESDAY, end_date=MONDAY),
     e.LEAVE_END_BEFORE_START.format(start=day_label(TUESDAY), end=day_label(MONDAY))),
    ("outside term", dict(start_date=MONDAY, end_date=dt.date(2025, 1, 20)),
     e.LEAVE_OUTSIDE_TERM.format(term="2024—2025学年第一学期", start=day_label(
         dt.date(2024, 9, 9)), end=day_label(dt.date(2025, 1, 17)),
         day=day_label(dt.date(2025, 1, 20)))),
    ("no reason", dict(reason="   "), e.LEAVE_REASON_REQUIRED),
    ("reason too long", dict(reason="很" * 201), e.LEAVE_REASON_TOO_LONG.format(length=201)),
    ("no dates", dict(start_date=None, end_date=None), e.LEAVE_DATES_REQUIRED),
]


@pytest.mark.parametrize("case,kw,message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_write_nothing(world, people, week, case, kw, message):
    if kw.get("student") == "other_child":
        kw = {**kw, "student": world.other_child}
    with pytest.raises(e.LeaveError) as caught:
        ask(world, people, **kw)
    assert caught.value.message == message
    assert not LeaveRequest.objects.exists() and not Notice.objects.exists()


def test_a_tutor_or_the_office_cannot_ask_as_a_family(world, people, week):
    for who in ("tutor", "coordinator", "homeroom_teacher"):
        with pytest.raises(e.LeaveError) as caught:
            ask(world, people, actor=people[who])
        assert caught.value.message == e.LEAVE_NOT_YOUR_CHILD.format(student="张小明")
    assert not LeaveRequest.objects.exists()


def test_a_lesson_not_the_childs_started_or_cancelled_is_refused(world, people, week):
    other = lesson(world.term, MONDAY, [world.sibling], start=(18, 15), end=(18, 50),
                   title="书法")
    with pytest.raises(e.LeaveError, match="不是张小明要上的课"):
        ask(world, people, lessons=[other])
    with pytest.raises(e.LeaveError) as caught:
        ask(world, people, lessons=[week["mon_hw"]], now=at(MONDAY, 16, 41))
    assert caught.value.message == e.LEAVE_LESSON_STARTED.format(
        lesson=f"{day_label(MONDAY)}16:40 作业辅导")
    week["tue_hw"].is_cancelled = True
    week["tue_hw"].save()
    with pytest.raises(e.LeaveError, match="已取消"):
        ask(world, people, lessons=[week["tue_hw"]])
    assert not LeaveRequest.objects.exists()


def test_today_is_allowed_until_the_lesson_starts(world, people, week):
    leave = ask(world, people, lessons=[week["mon_club"]], now=at(MONDAY, 17, 0))
    assert leave.status == L.PENDING


def test_overlaps_with_pending_or_approved_are_refused(world, people, week):
    first = ask(world, people, start_date=MONDAY, end_date=TUESDAY)
    with pytest.raises(e.LeaveError, match="已有一条待审批的请假"):
        ask(world, people, start_date=TUESDAY, end_date=WEDNESDAY)
    with pytest.raises(e.LeaveError, match="已有一条待审批的请假"):
        ask(world, people, lessons=[week["mon_club"]])
    leave_transition(leave=first, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=MORNING)
    with pytest.raises(e.LeaveError, match="已有一条已批准的请假"):
        ask(world, people, start_date=TUESDAY)
    assert LeaveRequest.objects.count() == 1
    # A declined or cancelled leave frees the days again; the sibling is not concerned.
    leave_transition(leave=first, to_status=L.CANCELLED, actor=people["guardian"], now=MORNING)
    again = ask(world, people, start_date=TUESDAY)
    assert again.status == L.PENDING
    assert ask(world, people, student=world.sibling, start_date=TUESDAY).status == L.PENDING


def test_leaves_of_different_lessons_on_one_day_do_not_overlap(world, people, week):
    ask(world, people, lessons=[week["mon_hw"]])
    second = ask(world, people, lessons=[week["mon_club"]])
    assert second.status == L.PENDING
    with pytest.raises(e.LeaveError, match="重叠"):
        ask(world, people, lessons=[week["mon_club"]])
    with pytest.raises(e.LeaveError, match="重叠"):
        ask(world, people, start_date=MONDAY)


# ---------------------------------------------------------------------------- deciding

# (person, move) → allowed? Moves from pending: approve, decline (with a reason), cancel.
MOVES = {
    "approved": {"homeroom_teacher": True, "coordinator": True, "guardian": False,
                 "other_guardian": False, "other_homeroom_teacher": False, "tutor": False,
                 "principal": False, "duty_teacher": False},
    "declined": {"homeroom_teacher": True, "coordinator": True, "guardian": False,
                 "other_guardian": False, "other_homeroom_teacher": False, "tutor": False,
                 "principal": False, "duty_teacher": False},
    "cancelled": {"homeroom_teacher": True, "coordinator": True, "guardian": True,
                  "other_guardian": False, "other_homeroom_teacher": False, "tutor": False,
                  "principal": False, "duty_teacher": False},
}
CASES = [(to, who, ok) for to, table in MOVES.items() for who, ok in table.items()]


@pytest.mark.parametrize("to_status,who,allowed", CASES,
                         ids=[f"{to}-{who}" for to, who, _ in CASES])
def test_every_move_by_every_role(world, people, week, to_status, who, allowed):
    leave = ask(world, people)
    if allowed:
        leave_transition(leave=leave, to_status=to_status, actor=people[who],
                         comment="家里有事，不批准" if to_status == L.DECLINED else "",
                         now=MORNING)
        leave.refresh_from_db()
        assert leave.status == to_status
        change = LeaveRequestChange.objects.get(leave=leave)
        assert (change.from_status, change.to_status, change.actor_role) == (
            L.PENDING, to_status, who)
        return
    with pytest.raises(e.LeaveTransitionRefused) as caught:
        leave_transition(leave=leave, to_status=to_status, actor=people[who],
                         comment="原因", now=MORNING)
    label = {"approved": "批准", "declined": "不批准", "cancelled": "撤销请假"}[to_status]
    # Holding one of the move's roles, but not for this child: out of scope.
    out_of_scope = who == "other_homeroom_teacher" or (
        who == "other_guardian" and to_status == L.CANCELLED)
    template = e.LEAVE_OUT_OF_SCOPE if out_of_scope else e.LEAVE_ROLE_NOT_ALLOWED
    assert caught.value.message == template.format(label=label)
    leave.refresh_from_db()
    assert leave.status == L.PENDING and not leave.changes.exists()


def test_approval_prefills_the_roll_call_and_tells_the_family(world, people, week):
    leave = ask(world, people, start_date=MONDAY, end_date=TUESDAY)
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=MORNING)
    leave.refresh_from_db()
    assert leave.decided_by == world.homeroom_teacher.user and leave.decided_at == MORNING
    covered = AttendanceRecord.objects.filter(leave=leave)
    assert {(r.lesson_id, r.student_id) for r in covered} == {
        (week[k].pk, world.child.pk) for k in ("mon_hw", "mon_club", "tue_hw")}
    # The status stays empty until the roll call; the classmate and Wednesday are untouched.
    assert set(covered.values_list("status", flat=True)) == {""}
    assert record(week["wed_hw"], world.child).leave is None
    assert record(week["mon_hw"], world.other_child).leave is None
    assert approved_leave_for(week["mon_hw"]) == {world.child.pk: leave}
    notice = Notice.objects.get(user=world.guardian.user)
    assert notice.title == "张小明的请假已批准"


def test_a_leave_of_particular_lessons_covers_only_them(world, people, week):
    leave = ask(world, people, lessons=[week["mon_club"]])
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["coordinator"],
                     now=MORNING)
    assert list(AttendanceRecord.objects.filter(leave=leave)) == [
        record(week["mon_club"], world.child)]
    assert approved_leave_for(week["mon_hw"]) == {}
    assert approved_leave_for(week["mon_club"]) == {world.child.pk: leave}


def test_approved_leave_for_is_one_query(world, people, week, django_assert_num_queries):
    for student in (world.child, world.other_child):
        kw = {"actor": people["guardian" if student == world.child else "other_guardian"]}
        leave = ask(world, people, student=student, **kw)
        leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                         now=MORNING)
    with django_assert_num_queries(1):
        found = approved_leave_for(week["mon_hw"])
    assert set(found) == {world.child.pk, world.other_child.pk}


def test_lessons_generated_after_approval_find_the_leave(world, people, week):
    leave = ask(world, people, start_date=WEDNESDAY, end_date=WEDNESDAY + dt.timedelta(days=1))
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=MORNING)
    thursday = lesson(world.term, WEDNESDAY + dt.timedelta(days=1),
                      [world.child, world.other_child])
    found = leave_covering(lessons=[week["wed_hw"], thursday, week["mon_hw"]])
    assert found == {(week["wed_hw"].pk, world.child.pk): leave,
                     (thursday.pk, world.child.pk): leave}
    # Before the records exist, by the students to be written.
    assert leave_covering(lessons=[thursday], student_ids=[world.child.pk,
                                                           world.other_child.pk]) == {
        (thursday.pk, world.child.pk): leave}


def test_decline_needs_a_reason_and_tells_the_family(world, people, week):
    leave = ask(world, people)
    with pytest.raises(e.LeaveTransitionRefused) as caught:
        leave_transition(leave=leave, to_status=L.DECLINED, actor=people["homeroom_teacher"],
                         comment="  ", now=MORNING)
    assert caught.value.message == e.LEAVE_COMMENT_REQUIRED.format(label="不批准")
    leave_transition(leave=leave, to_status=L.DECLINED, actor=people["homeroom_teacher"],
                     comment="期中考试复习，请按时参加", now=MORNING)
    leave.refresh_from_db()
    assert (leave.status, leave.decision_comment) == (L.DECLINED, "期中考试复习，请按时参加")
    notice = Notice.objects.get(user=world.guardian.user)
    assert notice.title == "张小明的请假未批准" and "期中考试复习" in notice.body
    assert not AttendanceRecord.objects.filter(leave__isnull=False).exists()
    # Final: nothing leaves a declined leave.
    with pytest.raises(e.LeaveTransitionRefused, match="不能改为"):
        leave_transition(leave=leave, to_status=L.CANCELLED, actor=people["guardian"],
                         now=MORNING)


def test_a_stale_page_does_not_move_a_leave_twice(world, people, week):
    leave = ask(world, people)
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     expected_status=L.PENDING, now=MORNING)
    with pytest.raises(e.LeaveTransitionRefused) as caught:
        leave_transition(leave=leave, to_status=L.DECLINED, actor=people["coordinator"],
                         comment="重复", expected_status=L.PENDING, now=MORNING)
    assert caught.value.message == e.LEAVE_STALE.format(status="已批准")
    assert LeaveRequestChange.objects.count() == 1


# ---------------------------------------------------------------------------- cancelling


def test_cancel_before_the_lesson_clears_the_prefill(world, people, week):
    leave = ask(world, people)
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=MORNING)
    assert AttendanceRecord.objects.filter(leave=leave).count() == 2
    leave_transition(leave=leave, to_status=L.CANCELLED, actor=people["guardian"],
                     now=at(MONDAY, 16, 39))
    leave.refresh_from_db()
    assert leave.status == L.CANCELLED
    assert not AttendanceRecord.objects.filter(leave=leave).exists()
    assert approved_leave_for(week["mon_hw"]) == {}
    assert Notice.objects.filter(user=world.homeroom_teacher.user,
                                 title="张小明的家长已撤销请假").exists()


def test_cancel_after_the_lesson_started_is_refused(world, people, week):
    leave = ask(world, people)
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=MORNING)
    for who in ("guardian", "homeroom_teacher"):
        with pytest.raises(e.LeaveTransitionRefused) as caught:
            leave_transition(leave=leave, to_status=L.CANCELLED, actor=people[who],
                             now=at(MONDAY, 16, 40))
        assert "请假已经开始" in caught.value.message and "16:40" in caught.value.message
    leave.refresh_from_db()
    assert leave.status == L.APPROVED
    assert AttendanceRecord.objects.filter(leave=leave).count() == 2


def test_cancel_of_a_pending_leave_with_no_lessons_yet_is_by_the_day(world, people):
    leave = ask(world, people, start_date=TUESDAY)
    leave_transition(leave=leave, to_status=L.CANCELLED, actor=people["guardian"],
                     now=at(TUESDAY, 12))
    assert LeaveRequest.objects.get().status == L.CANCELLED
    late = ask(world, people, start_date=WEDNESDAY)
    with pytest.raises(e.LeaveTransitionRefused, match="请假已经开始"):
        leave_transition(leave=late, to_status=L.CANCELLED, actor=people["guardian"],
                         now=at(WEDNESDAY + dt.timedelta(days=1), 9))


# ---------------------------------------------------------------------------- staff record


def test_homeroom_teacher_records_a_phone_call_approved_at_once(world, people, week):
    leave = leave_record_for_family(student=world.child, term=world.term, reason="家长来电：看牙",
                                    start_date=MONDAY, end_date=MONDAY,
                                    actor=people["homeroom_teacher"], now=MORNING)
    leave.refresh_from_db()
    assert leave.status == L.APPROVED and leave.recorded_by_staff
    assert leave.requested_by == world.homeroom_teacher.user
    change = leave.changes.get()
    assert (change.from_status, change.to_status, change.actor_role) == (
        L.PENDING, L.APPROVED, "homeroom_teacher")
    assert AttendanceRecord.objects.filter(leave=leave).count() == 2
    assert Notice.objects.get(user=world.guardian.user).title == "老师已为张小明登记请假"


def test_the_office_records_for_any_child_of_the_school(world, people, week):
    leave = leave_record_for_family(student=world.sibling, term=world.term, reason="家长来电",
                                    start_date=MONDAY, actor=people["coordinator"],
                                    end_date=MONDAY, now=MORNING)
    assert leave.changes.get().actor_role == "coordinator"


@pytest.mark.parametrize("who,student,message", [
    ("other_homeroom_teacher", "child", e.LEAVE_NOT_YOUR_STUDENT.format(student="张小明")),
    ("tutor", "child", e.LEAVE_RECORD_ROLE),
    ("duty_teacher", "child", e.LEAVE_RECORD_ROLE),
    ("guardian", "child", e.LEAVE_RECORD_ROLE),
    ("homeroom_teacher", "sibling", e.LEAVE_NOT_YOUR_STUDENT.format(student="张小红")),
])
def test_staff_record_refusals(world, people, week, who, student, message):
    with pytest.raises(e.LeaveError) as caught:
        leave_record_for_family(student=getattr(world, student), term=world.term,
                                reason="家长来电", start_date=MONDAY, end_date=MONDAY,
                                actor=people[who], now=MORNING)
    assert caught.value.message == message
    assert not LeaveRequest.objects.exists()


def test_a_staff_record_for_a_past_day_is_refused_too(world, people, week):
    with pytest.raises(e.LeaveError, match="已经过去"):
        leave_record_for_family(student=world.child, term=world.term, reason="补登",
                                start_date=MONDAY, end_date=MONDAY,
                                actor=people["homeroom_teacher"], now=at(TUESDAY, 8))
    assert not LeaveRequest.objects.exists()


# ---------------------------------------------------------------------------- and the alerts


def test_a_leave_approved_after_the_roll_call_explains_the_absence(world, people, week,
                                                                   django_capture_on_commit_callbacks):
    leave = ask(world, people, start_date=MONDAY)
    absent = mark(week["mon_hw"], world.child, "absent", by=world.tutor.user)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_for_roll_call(lesson=week["mon_hw"], records=[absent],
                             actor=people["tutor"], now=at(MONDAY, 16, 45))
    assert AbsenceAlert.objects.get().status == AbsenceAlert.Status.OPEN
    leave_transition(leave=leave, to_status=L.APPROVED, actor=people["homeroom_teacher"],
                     now=at(MONDAY, 16, 50))
    alert = AbsenceAlert.objects.get()
    assert (alert.status, alert.outcome, alert.handled_by) == (
        AbsenceAlert.Status.HANDLED, OUTCOME_LEAVE_APPROVED, world.homeroom_teacher.user)
    # The record keeps what the roll call said, and now points at the leave.
    absent.refresh_from_db()
    assert (absent.status, absent.leave) == ("absent", leave)
