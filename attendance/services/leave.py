"""Leave (请假): a guardian's request, a homeroom teacher's decision, a family's cancellation,
and the leave staff record for a family who phones.

Every status change goes through :func:`leave_transition`, along
``attendance.transitions.LEAVE_TRANSITIONS``. What approved leave does to the roll call is kept
here too: approving sets ``AttendanceRecord.leave`` on the lessons already generated that the
leave covers (lessons generated later look it up with ``selectors.leave_covering``), so the
roll-call page shows 请假 pre-selected; the record's ``status`` stays empty until the roll call.
Cancelling clears it again on the records whose roll call has not been taken. The people
concerned are told with in-app notices (and an e-mail where they have an address), written in
the same transaction as the move, so a refused move tells nobody anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role, Student, StudentGuardian, Term
from afterschool.services import notice_create

from .. import exceptions as errors
from ..access import leave_in_scope
from ..display import (
    LEAVE_MOVE_LABELS,
    OUTCOME_LEAVE_APPROVED,
    day_label,
    leave_span,
    when_label,
)
from ..models import AbsenceAlert, AttendanceRecord, LeaveRequest, Lesson
from ..selectors import leave_covers, lesson_start
from ..transitions import HOLDING, LEAVE_MACHINE

LeaveStatus = LeaveRequest.Status
REASON_MAX = 200
# A family's phone call, recorded by staff, is approved by the person who takes it.
RECORDERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _is_guardian_of(actor: Actor, student: Student) -> bool:
    return (actor is not None and actor.guardian is not None and actor.has(Role.GUARDIAN)
            and StudentGuardian.objects.filter(student=student, guardian=actor.guardian).exists())


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.LeaveError(errors.LEAVE_REASON_REQUIRED, field="reason")
    if len(reason) > REASON_MAX:
        raise errors.LeaveError(errors.LEAVE_REASON_TOO_LONG.format(length=len(reason)), field="reason")
    return reason


def _check_span(*, student: Student, term: Term, start_date: dt.date | None,
                end_date: dt.date | None, lessons: Sequence[Lesson], now: dt.datetime
                ) -> tuple[dt.date, dt.date, list[Lesson]]:
    """The leave's dates (from the lessons when it names lessons) and its lessons, or the
    error saying why not."""
    if student.school_id != term.school_id:
        raise errors.LeaveError(errors.LEAVE_TERM_OTHER_SCHOOL)
    lessons = list(lessons)
    if lessons:
        expected = set(AttendanceRecord.objects.filter(
            student=student, lesson__in=[x.pk for x in lessons]).values_list("lesson_id",
                                                                               flat=True))
        for lesson in sorted(lessons, key=lambda x: (x.date, x.start_time)):
            name = f"{day_label(lesson.date)}{lesson.start_time:%H:%M} {lesson.title}"
            if lesson.term_id != term.pk or lesson.pk not in expected:
                raise errors.LeaveError(errors.LEAVE_LESSON_NOT_THEIRS.format(lesson=name,
                                                                    student=student.name),
                                   field="lessons")
            if lesson.is_cancelled:
                raise errors.LeaveError(errors.LEAVE_LESSON_CANCELLED.format(lesson=name),
                                   field="lessons")
            if lesson_start(lesson) <= now:
                raise errors.LeaveError(errors.LEAVE_LESSON_STARTED.format(lesson=name), field="lessons")
        start_date = min(x.date for x in lessons)
        end_date = max(x.date for x in lessons)
    if start_date is None or end_date is None:
        raise errors.LeaveError(errors.LEAVE_DATES_REQUIRED, field="start_date")
    if end_date < start_date:
        raise errors.LeaveError(errors.LEAVE_END_BEFORE_START.format(start=day_label(start_date),
                                                           end=day_label(end_date)),
                           field="end_date")
    today = timezone.localdate(now)
    if start_date < today:
        raise errors.LeaveError(errors.LEAVE_PAST_DAY.format(day=day_label(start_date),
                                                   today=day_label(today)),
                           field="start_date")
    for day, field in ((start_date, "start_date"), (end_date, "end_date")):
        if not term.start_date <= day <= term.end_date:
            raise errors.LeaveError(errors.LEAVE_OUTSIDE_TERM.format(
                term=term.name, start=day_label(term.start_date), end=day_label(term.end_date),
                day=day_label(day)), field=field)
    return start_date, end_date, lessons


def _check_overlap(*, student: Student, start_date: dt.date, end_date: dt.date,
                   lessons: Sequence[Lesson]) -> None:
    """Refuse a leave that overlaps one still pending or approved: whole days overlap anything
    on those days; two leaves of named lessons overlap only when they share a lesson."""
    mine = {x.pk for x in lessons}
    others = (LeaveRequest.objects.filter(student=student, status__in=HOLDING,
                                          start_date__lte=end_date, end_date__gte=start_date)
              .prefetch_related("lessons").order_by("start_date"))
    for other in others:
        theirs = {x.pk for x in other.lessons.all()}
        if mine and theirs and not (mine & theirs):
            continue
        raise errors.LeaveError(errors.LEAVE_OVERLAPS.format(
            student=student.name, span=leave_span(other), status=other.get_status_display()),
            field="start_date")


def _create(*, student: Student, term: Term, start_date, end_date, lessons, reason: str,
            actor: Actor, now: dt.datetime, by_staff: bool) -> LeaveRequest:
    # One leave at a time per child: the overlap check and the insert must not interleave.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    if not student.is_active:
        raise errors.LeaveError(errors.LEAVE_STUDENT_INACTIVE.format(student=student.name))
    reason = _clean_reason(reason)
    start_date, end_date, lessons = _check_span(student=student, term=term,
                                                start_date=start_date, end_date=end_date,
                                                lessons=lessons, now=now)
    _check_overlap(student=student, start_date=start_date, end_date=end_date, lessons=lessons)
    leave = LeaveRequest(student=student, term=term, start_date=start_date, end_date=end_date,
                         reason=reason, status=LeaveStatus.PENDING, requested_by=actor.user,
                         recorded_by_staff=by_staff, requested_at=now)
    leave.full_clean()
    leave.save()
    if lessons:
        leave.lessons.set(lessons)
    return leave


@transaction.atomic
def leave_request_create(*, student: Student, term: Term, reason: str, actor: Actor,
                         start_date: dt.date | None = None, end_date: dt.date | None = None,
                         lessons: Sequence[Lesson] = (), now: dt.datetime | None = None
                         ) -> LeaveRequest:
    """A guardian asks leave for their child: whole days (``start_date``–``end_date``, one day
    when equal) or particular ``lessons``; pending until the homeroom teacher decides."""
    now = _now(now)
    if not _is_guardian_of(actor, student):
        raise errors.LeaveError(errors.LEAVE_NOT_YOUR_CHILD.format(student=student.name))
    leave = _create(student=student, term=term, start_date=start_date, end_date=end_date,
                    lessons=lessons, reason=reason, actor=actor, now=now, by_staff=False)
    _notify_teacher(leave, title=f"{student.name}的请假申请待审批",
                    body=f"{leave_span(leave)}，原因：{leave.reason}。请及时审批。")
    return leave


@transaction.atomic
def leave_record_for_family(*, student: Student, term: Term, reason: str, actor: Actor,
                            start_date: dt.date | None = None, end_date: dt.date | None = None,
                            lessons: Sequence[Lesson] = (), comment: str = "",
                            now: dt.datetime | None = None) -> LeaveRequest:
    """The homeroom teacher or the office records a leave a family asked for by phone: made
    and approved by that person in one step (the history shows who approved it)."""
    now = _now(now)
    if actor is None or not actor.has(*RECORDERS):
        raise errors.LeaveError(errors.LEAVE_RECORD_ROLE)
    probe = LeaveRequest(student=student)
    if not any(actor.has(role) and leave_in_scope(actor, role, probe) for role in RECORDERS):
        raise errors.LeaveError(errors.LEAVE_NOT_YOUR_STUDENT.format(student=student.name))
    leave = _create(student=student, term=term, start_date=start_date, end_date=end_date,
                    lessons=lessons, reason=reason, actor=actor, now=now, by_staff=True)
    _move(leave, LeaveStatus.APPROVED, actor=actor, comment=comment or "家长电话请假，老师代为登记",
          now=now)
    return leave


def _lock(leave: LeaveRequest) -> LeaveRequest:
    return (LeaveRequest.objects.select_for_update(of=("self",))
            .select_related("student__homeroom", "term__school").get(pk=leave.pk))


@transaction.atomic
def leave_transition(*, leave: LeaveRequest, to_status: str, actor: Actor, comment: str = "",
                     expected_status: str | None = None, now: dt.datetime | None = None
                     ) -> LeaveRequest:
    """Approve, decline (with a reason) or cancel one leave. ``expected_status`` is the status
    the person saw: a leave someone else has moved meanwhile is refused, not moved twice."""
    now = _now(now)
    locked = _lock(leave)
    if expected_status is not None and locked.status != expected_status:
        raise errors.LeaveTransitionRefused(errors.LEAVE_STALE.format(status=locked.get_status_display()))
    return _move(locked, to_status, actor=actor, comment=comment, now=now)


def _move(leave: LeaveRequest, to_status: str, *, actor: Actor, comment: str,
          now: dt.datetime) -> LeaveRequest:
    move = LEAVE_MACHINE.check(leave.status, to_status)
    role = LEAVE_MACHINE.authorise(move, actor,
                                   in_scope=lambda r: leave_in_scope(actor, r, leave))
    comment = (comment or "").strip()
    LEAVE_MACHINE.require_comment(move, comment)
    if len(comment) > REASON_MAX:
        raise errors.LeaveError(errors.LEAVE_REASON_TOO_LONG.format(length=len(comment)),
                           field="comment")
    lessons = _lessons_covered(leave)
    values = {}
    if to_status in (LeaveStatus.APPROVED, LeaveStatus.DECLINED):
        values = {"decided_at": now, "decided_by": actor.user, "decision_comment": comment}
    elif to_status == LeaveStatus.CANCELLED:
        first = next((x for x in lessons if not x.is_cancelled), None)
        if first is not None and lesson_start(first) <= now:
            raise errors.LeaveTransitionRefused(errors.LEAVE_CANCEL_STARTED.format(
                lesson=f"{day_label(first.date)} {first.title}",
                start=when_label(lesson_start(first))))
        if first is None and leave.start_date < timezone.localdate(now):
            raise errors.LeaveTransitionRefused(errors.LEAVE_CANCEL_STARTED.format(
                lesson=day_label(leave.start_date), start=day_label(leave.start_date)))
    LEAVE_MACHINE.apply(leave, to_status, actor=actor, role=role, comment=comment,
                        values=values, at=now)
    if to_status == LeaveStatus.APPROVED:
        _attach(leave, lessons, actor=actor, now=now)
    elif to_status == LeaveStatus.CANCELLED:
        AttendanceRecord.objects.filter(leave=leave, status="").update(leave=None)
    _notify_move(leave, to_status, actor=actor, role=role, comment=comment)
    return leave


def _lessons_covered(leave: LeaveRequest) -> list[Lesson]:
    """The generated lessons of this child that the leave covers, earliest first."""
    named = list(leave.lessons.all().order_by("date", "start_time"))
    if named:
        return named
    return list(Lesson.objects.filter(
        term_id=leave.term_id, date__gte=leave.start_date, date__lte=leave.end_date,
        records__student_id=leave.student_id).order_by("date", "start_time"))


def _attach(leave: LeaveRequest, lessons: Sequence[Lesson], *, actor: Actor,
            now: dt.datetime) -> None:
    """Approved: the records of the covered lessons point at the leave (the roll call shows
    请假 pre-selected); an absence alert already raised for one of them is explained."""
    covered = [x.pk for x in lessons if leave_covers(leave, x)]
    if not covered:
        return
    records = AttendanceRecord.objects.filter(student_id=leave.student_id, lesson_id__in=covered)
    records.update(leave=leave)
    AbsenceAlert.objects.filter(record__in=records, status__in=(
        AbsenceAlert.Status.OPEN, AbsenceAlert.Status.ESCALATED)).update(
        status=AbsenceAlert.Status.HANDLED, handled_at=now, handled_by=actor.user,
        outcome=OUTCOME_LEAVE_APPROVED)


# ---------------------------------------------------------------------------- notices


def _detail_url(leave: LeaveRequest) -> str:
    return reverse("attendance:leave_detail", args=[leave.pk])


def _notify_teacher(leave: LeaveRequest, *, title: str, body: str) -> None:
    teacher = leave.student.homeroom.head_teacher
    if teacher is None or teacher.user_id is None:
        return
    notice_create(user=teacher.user, school=leave.student.school, title=title, body=body,
                  url=_detail_url(leave), email=teacher.user.email)


def _notify_guardians(leave: LeaveRequest, *, title: str, body: str, skip_user_id=None) -> None:
    links = (StudentGuardian.objects.filter(student_id=leave.student_id,
                                            guardian__user__isnull=False)
             .select_related("guardian__user").order_by("pk"))
    for link in links:
        guardian = link.guardian
        if guardian.user_id == skip_user_id:
            continue
        notice_create(user=guardian.user, school=leave.student.school, title=title, body=body,
                      url=_detail_url(leave), email=guardian.email)


def _notify_move(leave: LeaveRequest, to_status: str, *, actor: Actor, role: str,
                 comment: str) -> None:
    name = leave.student.name
    span = leave_span(leave)
    actor_id = actor.user.pk if actor is not None else None
    if to_status == LeaveStatus.APPROVED:
        if leave.recorded_by_staff and leave.requested_by_id == actor_id:
            title, body = f"老师已为{name}登记请假", f"{span}，原因：{leave.reason}。"
        else:
            title, body = f"{name}的请假已批准", f"{span}，原因：{leave.reason}。"
        _notify_guardians(leave, title=title, body=body, skip_user_id=actor_id)
    elif to_status == LeaveStatus.DECLINED:
        _notify_guardians(leave, title=f"{name}的请假未批准",
                          body=f"{span}。原因：{comment}。孩子当天请按时参加课后服务。",
                          skip_user_id=actor_id)
    elif to_status == LeaveStatus.CANCELLED:
        label = LEAVE_MOVE_LABELS["cancel"]
        if role == Role.GUARDIAN:
            _notify_teacher(leave, title=f"{name}的家长已{label}",
                            body=f"{span}的请假已撤销，孩子将按时参加课后服务。")
        else:
            _notify_guardians(leave, title=f"{name}的请假已由老师撤销",
                              body=f"{span}的请假已撤销，孩子请按时参加课后服务。",
                              skip_user_id=actor_id)
