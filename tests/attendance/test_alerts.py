"""Absence alerts: raised once for a 缺勤 without approved leave, told to the family and the
homeroom teacher after commit, handled with an outcome, escalated on time by the periodic
task, closed by a correction of the roll call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from afterschool.models import Notice, Role
from attendance import exceptions as e
from attendance.display import OUTCOME_CORRECTED
from attendance.models import AbsenceAlert, AttendancePolicy, LeaveRequest
from attendance.services import (
    alert_handle,
    alerts_escalate,
    alerts_for_roll_call,
    alerts_sweep,
    leave_request_create,
    leave_transition,
)
from attendance.services.corrections import record_correct
from attendance.services.roll_call import roll_call_submit
from attendance.tasks import alerts_sweep_task

from .. import factories as f
from .leave_builders import MONDAY, actors, at, lesson

A = AbsenceAlert.Status
ROLL_CALL = at(MONDAY, 16, 45)


@pytest.fixture
def people(world):
    return actors(world)


@pytest.fixture
def hw(world):
    return lesson(world.term, MONDAY, [world.child, world.other_child], tutors=[world.tutor])


def take(hw, people, marks, *, now=ROLL_CALL, token="t1"):
    hw.refresh_from_db()
    return roll_call_submit(lesson=hw, actor=people["tutor"], marks=marks,
                            revision=hw.roll_call_revision, token=token, now=now)


@pytest.fixture
def absent(world, people, hw, django_capture_on_commit_callbacks):
    """张小明 absent at Monday's homework, through the real roll call; notices sent."""
    with django_capture_on_commit_callbacks(execute=True):
        take(hw, people, {world.child.pk: "absent", world.other_child.pk: "present"})
    return AbsenceAlert.objects.get()


# ---------------------------------------------------------------------------- raising


def test_an_absence_without_leave_raises_one_alert_and_tells_family_and_teacher(
        world, absent):
    assert (absent.student, absent.status, absent.raised_at) == (world.child, A.OPEN, ROLL_CALL)
    assert absent.notified_at is not None
    told = set(Notice.objects.values_list("user_id", flat=True))
    assert told == {world.guardian.user_id, world.homeroom_teacher.user_id}
    notice = Notice.objects.get(user=world.guardian.user)
    assert notice.title == "缺勤提醒：张小明未到作业辅导"
    assert notice.url == f"/attendance/alerts/{absent.pk}/"
    assert world.guardian.email in {to for m in mail.outbox for to in m.to}


def test_the_same_roll_call_again_raises_nothing_new(world, people, hw, absent,
                                                     django_capture_on_commit_callbacks):
    record = absent.record
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fresh = alerts_for_roll_call(lesson=hw, records=[record], actor=people["tutor"],
                                     now=ROLL_CALL + dt.timedelta(minutes=3))
        take(hw, people, {world.child.pk: "absent", world.other_child.pk: "present"},
             token="t2", now=ROLL_CALL + dt.timedelta(minutes=3))
    # Other apps may react to the roll call after commit (the dashboards' aggregates); what
    # matters is that no alert is raised and nobody is told again.
    assert fresh == [] and all("alerts" not in repr(c) for c in callbacks)
    assert AbsenceAlert.objects.count() == 1
    assert Notice.objects.count() == 2


def test_notifying_twice_tells_once(world, absent):
    from attendance.services import alerts_notify

    assert alerts_notify(alert_ids=[absent.pk]) == 0
    assert Notice.objects.count() == 2


@pytest.mark.parametrize("status", ["present", "late", "leave"])
def test_no_alert_for_a_child_who_came_or_is_on_leave(world, people, hw, status):
    take(hw, people, {world.child.pk: status, world.other_child.pk: "present"})
    assert not AbsenceAlert.objects.exists()


def test_no_alert_for_an_absence_with_approved_leave(world, people, hw,
                                                     django_capture_on_commit_callbacks):
    leave = leave_request_create(student=world.child, term=world.term, reason="看病",
                                 start_date=MONDAY, end_date=MONDAY, actor=people["guardian"],
                                 now=at(MONDAY, 8))
    leave_transition(leave=leave, to_status=LeaveRequest.Status.APPROVED,
                     actor=people["homeroom_teacher"], now=at(MONDAY, 9))
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        take(hw, people, {world.child.pk: "absent", world.other_child.pk: "absent"})
    # Only the classmate without leave is an alarm.
    assert list(AbsenceAlert.objects.values_list("student_id", flat=True)) == [
        world.other_child.pk]
    assert set(Notice.objects.values_list("user_id", flat=True)) == {
        world.other_guardian.user_id, world.homeroom_teacher.user_id}


def test_a_roll_calls_leave_names_the_approved_leave_covering_that_lesson(world, people, hw):
    """请假 on the roll call links the approved leave covering the lesson (read with the
    records in one query): not a leave for another lesson of the day, not a pending one."""
    club = lesson(world.term, MONDAY, [world.child, world.other_child], start=(17, 30),
                  end=(18, 10), title="社团", tutors=[world.tutor])

    def ask(student, by, **when):
        return leave_request_create(student=student, term=world.term, reason="看病",
                                    actor=people[by], now=at(MONDAY, 8), **when)

    for_club = ask(world.child, "guardian", lessons=[club])
    leave_transition(leave=for_club, to_status=LeaveRequest.Status.APPROVED,
                     actor=people["homeroom_teacher"], now=at(MONDAY, 9))
    ask(world.other_child, "other_guardian", start_date=MONDAY, end_date=MONDAY)  # pending
    take(hw, people, {world.child.pk: "leave", world.other_child.pk: "leave"})
    assert dict(hw.records.values_list("student_id", "leave_id")) == {
        world.child.pk: None, world.other_child.pk: None}
    take(club, people, {world.child.pk: "present", world.other_child.pk: "leave"})
    assert dict(club.records.values_list("student_id", "leave_id")) == {
        world.child.pk: None, world.other_child.pk: None}
    take(club, people, {world.child.pk: "leave", world.other_child.pk: "leave"}, token="t2")
    assert dict(club.records.values_list("student_id", "leave_id")) == {
        world.child.pk: for_club.pk, world.other_child.pk: None}


def test_a_pending_leave_does_not_silence_the_alarm(world, people, hw):
    leave_request_create(student=world.child, term=world.term, reason="看病",
                         start_date=MONDAY, end_date=MONDAY, actor=people["guardian"],
                         now=at(MONDAY, 8))
    take(hw, people, {world.child.pk: "absent", world.other_child.pk: "present"})
    assert AbsenceAlert.objects.get().student == world.child


# ---------------------------------------------------------------------------- correcting


def test_a_correction_to_present_closes_the_alert_and_back_reopens_it(world, people, hw,
                                                                      absent):
    record = absent.record
    office = people["coordinator"]
    after_lock = at(MONDAY, 22, 30)
    record_correct(record=record, new_status="present", reason="孩子在图书馆，点名遗漏",
                   actor=office, now=after_lock)
    absent.refresh_from_db()
    assert (absent.status, absent.outcome, absent.handled_by, absent.handled_at) == (
        A.HANDLED, OUTCOME_CORRECTED, world.coordinator, after_lock)
    record_correct(record=record, new_status="absent", reason="核实后确为缺勤", actor=office,
                   now=after_lock + dt.timedelta(minutes=5))
    absent.refresh_from_db()
    assert (absent.status, absent.outcome, absent.notified_at) == (A.OPEN, "", None)
    assert AbsenceAlert.objects.count() == 1


def test_a_new_roll_call_before_locking_closes_it_too(world, people, hw, absent):
    take(hw, people, {world.child.pk: "late", world.other_child.pk: "present"}, token="t2",
         now=ROLL_CALL + dt.timedelta(minutes=5))
    absent.refresh_from_db()
    assert (absent.status, absent.outcome) == (A.HANDLED, OUTCOME_CORRECTED)


# ---------------------------------------------------------------------------- handling


@pytest.mark.parametrize("who", ["homeroom_teacher", "guardian", "coordinator", "duty_teacher",
                                 "tutor"])
def test_who_may_record_the_outcome(world, people, absent, who):
    handled = alert_handle(alert=absent, actor=people[who], outcome="家长已接回",
                           now=ROLL_CALL + dt.timedelta(minutes=4))
    assert (handled.status, handled.outcome, handled.handled_by) == (
        A.HANDLED, "家长已接回", people[who].user)


@pytest.mark.parametrize("who", ["other_guardian", "other_homeroom_teacher", "principal"])
def test_others_may_not(world, people, absent, who):
    with pytest.raises(e.AlertError) as caught:
        alert_handle(alert=absent, actor=people[who], outcome="家长已接回")
    assert caught.value.message == e.ALERT_NOT_YOURS
    absent.refresh_from_db()
    assert absent.status == A.OPEN


def test_the_first_answer_stands_and_an_outcome_is_required(world, people, absent):
    with pytest.raises(e.AlertError) as caught:
        alert_handle(alert=absent, actor=people["homeroom_teacher"], outcome="  ")
    assert caught.value.message == e.ALERT_OUTCOME_REQUIRED
    with pytest.raises(e.AlertError, match="最多 200 个字"):
        alert_handle(alert=absent, actor=people["homeroom_teacher"], outcome="很" * 201)
    alert_handle(alert=absent, actor=people["homeroom_teacher"], outcome="已联系，在家",
                 now=at(MONDAY, 16, 50))
    with pytest.raises(e.AlertError) as caught:
        alert_handle(alert=absent, actor=people["guardian"], outcome="家长已接回")
    assert caught.value.message == e.ALERT_ALREADY_HANDLED.format(
        who=world.homeroom_teacher.user.get_full_name(), when="11月11日 16:50",
        outcome="已联系，在家")


# ---------------------------------------------------------------------------- escalating


def _escalation_notices():
    return Notice.objects.filter(title__startswith="【已升级】")


def test_unanswered_alerts_escalate_after_fifteen_minutes_once(world, people, absent):
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=14, seconds=59)) == 0
    assert not _escalation_notices().exists()
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=15)) == 1
    absent.refresh_from_db()
    assert (absent.status, absent.escalated_at) == (A.ESCALATED,
                                                    ROLL_CALL + dt.timedelta(minutes=15))
    # The duty teacher and the office (coordinators); not the principal.
    assert set(_escalation_notices().values_list("user_id", flat=True)) == {
        world.duty_teacher.user_id, world.coordinator.pk}
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=30)) == 0
    assert _escalation_notices().count() == 2
    # Escalated is still open: it can be handled.
    alert_handle(alert=absent, actor=people["duty_teacher"], outcome="在校内找到")
    absent.refresh_from_db()
    assert absent.status == A.HANDLED and absent.escalated_at is not None


def test_handled_alerts_do_not_escalate(world, people, absent):
    alert_handle(alert=absent, actor=people["guardian"], outcome="家长已接回",
                 now=ROLL_CALL + dt.timedelta(minutes=2))
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(hours=1)) == 0


def test_each_school_escalates_after_its_own_minutes(world, absent):
    AttendancePolicy.objects.create(school=world.school, alert_escalate_minutes=5)
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=4)) == 0
    assert alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=5)) == 1


def test_only_the_days_duty_teacher_when_duty_names_weekdays(world, people, absent):
    world.duty_teacher.user.role_assignments.filter(role=Role.DUTY_TEACHER).update(
        title="周二值日")
    monday = f.StaffFactory(school=world.school, name="周一值日老师")
    f.grant(monday.user, Role.DUTY_TEACHER, world.school, title="周一值日")
    alerts_escalate(now=ROLL_CALL + dt.timedelta(minutes=15))
    assert set(_escalation_notices().values_list("user_id", flat=True)) == {
        monday.user_id, world.coordinator.pk}


def test_the_periodic_task_notifies_what_was_never_sent_then_escalates(world, people, hw):
    # A roll call committed while the broker was down: the alert exists, nobody was told.
    take(hw, people, {world.child.pk: "absent", world.other_child.pk: "present"})
    alert = AbsenceAlert.objects.get()
    assert alert.notified_at is None and not Notice.objects.exists()
    assert alerts_sweep(now=ROLL_CALL + dt.timedelta(seconds=30)) == (0, 0)
    assert alerts_sweep(now=ROLL_CALL + dt.timedelta(minutes=2)) == (2, 0)
    alert.refresh_from_db()
    assert alert.notified_at is not None
    # The beat task runs the same pass with the clock.
    assert alerts_sweep_task.name == "attendance.tasks.alerts_sweep_task"


def test_the_beat_runs_the_sweep_every_minute():
    from django.conf import settings

    entries = [x for x in settings.CELERY_BEAT_SCHEDULE.values()
               if x["task"] == "attendance.tasks.alerts_sweep_task"]
    assert [x["schedule"] for x in entries] == [60.0]
