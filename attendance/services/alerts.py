"""Absence alerts: a child marked 缺勤 without approved leave is an alarm someone must answer.

- :func:`alerts_for_roll_call` runs inside the roll-call (and correction) transaction: one
  alert per absent record without approved leave, raised once however often the roll call is
  submitted; a record corrected away from 缺勤 closes its alert as handled ("点名更正"). After
  commit a task tells the guardians and the homeroom teacher (:func:`alerts_notify`).
- :func:`alert_handle` records what became of the child ("家长已接回", "已联系，在家").
- :func:`alerts_escalate` (every minute from beat) tells the duty teachers and the office about
  alerts nobody answered within ``AttendancePolicy.alert_escalate_minutes``.

Every step is kept on the alert, which the child's day record shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import StudentGuardian
from afterschool.services import notice_create

from .. import exceptions as errors
from ..access import may_handle_alert
from ..display import OUTCOME_CORRECTED, day_label, when_label
from ..duty import duty_staff_on, office_staff_of
from ..models import AbsenceAlert, AttendancePolicy, AttendanceRecord, Lesson
from ..selectors import approved_leave_for

AlertStatus = AbsenceAlert.Status
RecordStatus = AttendanceRecord.Status
OPEN = (AlertStatus.OPEN, AlertStatus.ESCALATED)
OUTCOME_MAX = 200
DEFAULT_ESCALATE_MINUTES = AttendancePolicy._meta.get_field("alert_escalate_minutes").default


def _user(actor: Actor | None):
    return actor.user if actor is not None else None


@transaction.atomic
def alerts_for_roll_call(*, lesson: Lesson, records: Iterable[AttendanceRecord],
                         actor: Actor | None, now: dt.datetime | None = None,
                         on_leave: dict | None = None) -> list[AbsenceAlert]:
    """Raise, keep or close the absence alerts of these just-written records of ``lesson``.

    Called at the end of the roll-call service (and of a correction) in its transaction.
    Idempotent: a record has at most one alert; submitting the same roll call again raises
    nothing new. Returns the alerts raised (or raised again) now; their notices go out after
    commit. ``on_leave`` is :func:`approved_leave_for` of the lesson when the caller has it.
    """
    now = now or timezone.now()
    records = [r for r in records if r.lesson_id == lesson.pk]
    if not records:
        return []
    if on_leave is None:
        on_leave = approved_leave_for(lesson)
    existing = {a.record_id: a for a in AbsenceAlert.objects.select_for_update().filter(
        record__in=[r.pk for r in records])}
    raised: list[AbsenceAlert] = []
    reopened: list[AbsenceAlert] = []
    closed: list[int] = []
    for record in records:
        alert = existing.get(record.pk)
        alarming = (record.status == RecordStatus.ABSENT and record.student_id not in on_leave
                    and record.leave_id is None)
        if alarming:
            if alert is None:
                raised.append(AbsenceAlert(record=record, student_id=record.student_id,
                                           lesson=lesson, status=AlertStatus.OPEN, raised_at=now))
            elif alert.status == AlertStatus.HANDLED and alert.outcome == OUTCOME_CORRECTED:
                # Corrected away from 缺勤 and then back: the alarm stands again.
                reopened.append(alert)
        elif alert is not None and alert.status in OPEN:
            closed.append(alert.pk)
    if closed:
        AbsenceAlert.objects.filter(pk__in=closed).update(
            status=AlertStatus.HANDLED, handled_at=now, handled_by=_user(actor), outcome=OUTCOME_CORRECTED)
    for alert in reopened:
        alert.status, alert.raised_at, alert.notified_at = AlertStatus.OPEN, now, None
        alert.escalated_at = alert.handled_at = alert.handled_by = None
        alert.outcome = ""
        alert.save(update_fields=["status", "raised_at", "notified_at", "escalated_at",
                                  "handled_at", "handled_by", "outcome"])
    if raised:
        AbsenceAlert.objects.bulk_create(raised)
    fresh = raised + reopened
    if fresh:
        from ..tasks import alerts_notify_task

        ids = [a.pk for a in fresh]
        transaction.on_commit(lambda: alerts_notify_task.delay(ids))
    return fresh


def _teacher_user(student):
    teacher = student.homeroom.head_teacher
    return teacher.user if teacher is not None and teacher.user_id else None


def _alert_text(alert: AbsenceAlert) -> tuple[str, str]:
    lesson = alert.lesson
    student = alert.student
    title = f"缺勤提醒：{student.name}未到{lesson.title}"
    body = (f"{student.homeroom}{student.name}在{day_label(lesson.date)}"
            f"{lesson.start_time:%H:%M}的{lesson.title}点名时缺勤，且没有已批准的请假。"
            "请尽快确认孩子的去向，并在系统中记录处理结果。")
    return title, body


def _url(alert: AbsenceAlert) -> str:
    return reverse("attendance:alert_detail", args=[alert.pk])


def alerts_notify(*, alert_ids: Sequence[int]) -> int:
    """Tell the child's guardians (with a login) and homeroom teacher about these alerts, once
    each: an in-app notice, and an e-mail where there is an address. Safe to run twice."""
    sent = 0
    with transaction.atomic():
        alerts = list(AbsenceAlert.objects.select_for_update(of=("self",))
                      .filter(pk__in=list(alert_ids), notified_at__isnull=True)
                      .select_related("student__school", "student__homeroom__grade",
                                      "student__homeroom__head_teacher__user", "lesson"))
        if not alerts:
            return 0
        links = (StudentGuardian.objects
                 .filter(student_id__in={a.student_id for a in alerts},
                         guardian__user__isnull=False)
                 .select_related("guardian__user").order_by("pk"))
        guardians_of: dict[int, list] = {}
        for link in links:
            guardians_of.setdefault(link.student_id, []).append(link.guardian)
        now = timezone.now()
        for alert in alerts:
            title, body = _alert_text(alert)
            school = alert.student.school
            for guardian in guardians_of.get(alert.student_id, []):
                notice_create(user=guardian.user, school=school, title=title, body=body,
                              url=_url(alert), email=guardian.email)
                sent += 1
            teacher = _teacher_user(alert.student)
            if teacher is not None:
                notice_create(user=teacher, school=school, title=title, body=body,
                              url=_url(alert), email=teacher.email)
                sent += 1
        AbsenceAlert.objects.filter(pk__in=[a.pk for a in alerts]).update(notified_at=now)
    return sent


@transaction.atomic
def alert_handle(*, alert: AbsenceAlert, actor: Actor, outcome: str,
                 now: dt.datetime | None = None) -> AbsenceAlert:
    """Record what became of the absent child; the first answer stands (a second person sees
    who answered and how)."""
    now = now or timezone.now()
    locked = (AbsenceAlert.objects.select_for_update(of=("self",))
              .select_related("student__homeroom", "lesson", "handled_by").get(pk=alert.pk))
    if not may_handle_alert(actor, locked):
        raise errors.AlertError(errors.ALERT_NOT_YOURS)
    if locked.status == AlertStatus.HANDLED:
        who = locked.handled_by.get_full_name() if locked.handled_by else "系统"
        raise errors.AlertError(errors.ALERT_ALREADY_HANDLED.format(
            who=who, when=when_label(locked.handled_at), outcome=locked.outcome))
    outcome = (outcome or "").strip()
    if not outcome:
        raise errors.AlertError(errors.ALERT_OUTCOME_REQUIRED)
    if len(outcome) > OUTCOME_MAX:
        raise errors.AlertError(errors.ALERT_OUTCOME_TOO_LONG.format(length=len(outcome)))
    locked.status, locked.handled_at, locked.handled_by = AlertStatus.HANDLED, now, actor.user
    locked.outcome = outcome
    locked.full_clean()
    locked.save(update_fields=["status", "handled_at", "handled_by", "outcome"])
    return locked


def _escalation_recipients(school_id: int, day: dt.date) -> list:
    """The day's duty teachers (:mod:`attendance.duty`), then the office."""
    users, seen = [], set()
    for user in duty_staff_on(school_id, day) + office_staff_of(school_id):
        if user.pk not in seen:
            seen.add(user.pk)
            users.append(user)
    return users


def alerts_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every alert still open after its school's ``alert_escalate_minutes``: the
    duty teachers and the office are told. Periodic (beat, every minute); safe to run twice:
    an alert escalates once. Returns how many escalated."""
    now = now or timezone.now()
    policies = dict(AttendancePolicy.objects.values_list("school_id", "alert_escalate_minutes"))
    # The shortest wait of any school bounds the candidates; each is checked against its own.
    shortest = min([DEFAULT_ESCALATE_MINUTES, *policies.values()])
    escalated = 0
    with transaction.atomic():
        candidates = list(
            AbsenceAlert.objects.select_for_update(of=("self",))
            .filter(status=AlertStatus.OPEN, raised_at__lte=now - dt.timedelta(minutes=shortest))
            .select_related("student__school", "student__homeroom__grade", "lesson")
            .order_by("raised_at"))
        due = [a for a in candidates if a.raised_at <= now - dt.timedelta(
            minutes=policies.get(a.student.school_id, DEFAULT_ESCALATE_MINUTES))]
        recipients: dict[tuple[int, dt.date], list] = {}
        for alert in due:
            key = (alert.student.school_id, alert.lesson.date)
            if key not in recipients:
                recipients[key] = _escalation_recipients(*key)
            title, body = _alert_text(alert)
            minutes = int((now - alert.raised_at).total_seconds() // 60)
            for user in recipients[key]:
                notice_create(user=user, school=alert.student.school,
                              title=f"【已升级】{title}",
                              body=f"{body}提醒已发出{minutes}分钟，仍无人处理。",
                              url=_url(alert), email=user.email)
        if due:
            escalated = AbsenceAlert.objects.filter(
                Q(pk__in=[a.pk for a in due]), status=AlertStatus.OPEN).update(
                status=AlertStatus.ESCALATED, escalated_at=now)
    return escalated


def alerts_sweep(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """The periodic pass: notify alerts whose notice task never ran (the broker was down when
    the roll call committed), then escalate the overdue ones. Returns (notified, escalated)."""
    now = now or timezone.now()
    stale = list(AbsenceAlert.objects.filter(
        notified_at__isnull=True, status__in=OPEN,
        raised_at__lte=now - dt.timedelta(minutes=1)).values_list("pk", flat=True)[:500])
    notified = alerts_notify(alert_ids=stale) if stale else 0
    return notified, alerts_escalate(now=now)
