"""Taking a lesson's roll call (点名): the whole lesson in one request, safe to resend.

The page carries the lesson's ``roll_call_revision`` it was built from and a fresh token. The
service locks the lesson row, then:

- the same token again (a double tap, a resubmit after a timeout) is answered with the stored
  result and writes nothing;
- an older revision (another phone submitted in between) is refused, never silently merged;
- otherwise every record is written, the revision bumped and the token kept, all at once.

The first accepted roll call stamps ``roll_call_at`` (what punctuality is measured by) and
``roll_call_by`` (whose roll call it counts as: the substitute's when one is set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from afterschool.access import Actor

from ..exceptions import (
    ROLL_CALL_BAD_STATUS,
    ROLL_CALL_CANCELLED,
    ROLL_CALL_LOCKED,
    ROLL_CALL_NOT_STARTED,
    ROLL_CALL_NOT_YOURS,
    ROLL_CALL_STALE,
    ROLL_CALL_STUDENT_NOT_ON_LESSON,
    AttendanceError,
)
from ..models import AttendanceRecord, Lesson
from ..policy import is_locked, locks_at, policy_for
from ..selectors import approved_leave_for

RecordStatus = AttendanceRecord.Status


@dataclass
class RollCallResult:
    lesson: Lesson
    changed: list[AttendanceRecord]
    duplicate: bool = False


def may_take_roll_call(actor: Actor, lesson: Lesson) -> bool:
    """The lesson's substitute when one is set (the tutor is away), else one of its tutors."""
    staff = actor.staff
    if staff is None:
        return False
    if lesson.substitute_id is not None:
        return lesson.substitute_id == staff.pk
    # all(): the page has the tutors prefetched; otherwise one small query.
    return any(tutor.pk == staff.pk for tutor in lesson.tutors.all())


@transaction.atomic
def roll_call_submit(*, lesson: Lesson, actor: Actor, marks: dict[int, str], revision: int,
                     token: str, notes: dict[int, str] | None = None,
                     now: dt.datetime | None = None) -> RollCallResult:
    """Write the roll call of every student of the lesson: ``marks`` maps student id → status.

    Every expected student must be in ``marks`` (the page sends them all, present by default);
    a student who is not on the lesson refuses the whole submission.
    """
    now = now or timezone.now()
    lesson = Lesson.objects.select_for_update(of=("self",)).select_related("term").get(
        pk=lesson.pk)
    if token and lesson.roll_call_token == token:
        return RollCallResult(lesson=lesson, changed=[], duplicate=True)
    if not may_take_roll_call(actor, lesson):
        raise AttendanceError(ROLL_CALL_NOT_YOURS)
    if lesson.is_cancelled:
        raise AttendanceError(ROLL_CALL_CANCELLED)
    policy = policy_for(lesson.term.school_id)
    if is_locked(lesson, policy, now):
        raise AttendanceError(ROLL_CALL_LOCKED.format(
            locked_at=f"{timezone.localtime(locks_at(lesson, policy)):%m月%d日 %H:%M}"))
    if lesson.date > timezone.localdate(now):
        raise AttendanceError(ROLL_CALL_NOT_STARTED.format(date=f"{lesson.date:%m月%d日}"))
    if revision != lesson.roll_call_revision:
        by = lesson.roll_call_by.name if lesson.roll_call_by else "其他老师"
        at = timezone.localtime(lesson.roll_call_at) if lesson.roll_call_at else now
        raise AttendanceError(ROLL_CALL_STALE.format(by=by, at=f"{at:%H:%M}"))
    records = {r.student_id: r for r in lesson.records.select_related("student")}
    for student_id in marks:
        if student_id not in records:
            raise AttendanceError(ROLL_CALL_STUDENT_NOT_ON_LESSON.format(student=student_id))
    missing = [r.student.name for sid, r in records.items() if sid not in marks]
    if missing:
        raise AttendanceError(ROLL_CALL_BAD_STATUS.format(student="、".join(missing[:3]),
                                                          value="（未提交）"))
    for student_id, status in marks.items():
        if status not in RecordStatus.values:
            raise AttendanceError(ROLL_CALL_BAD_STATUS.format(
                student=records[student_id].student.name, value=status))
    notes = notes or {}
    leaves = approved_leave_for(lesson)
    changed = []
    # Absences, new or taken back, are what the alerts look at.
    alarm_relevant = []
    # One UPDATE per distinct (status, note, leave): a roll call has a handful of those,
    # cheaper than bulk_update's CASE over every record and field.
    groups: dict[tuple[str, str, int | None], list[int]] = {}
    for student_id, record in records.items():
        status = marks[student_id]
        note = (notes.get(student_id) or "").strip()[:200]
        leave = leaves.get(student_id) if status == RecordStatus.LEAVE else None
        leave_id = leave.pk if leave else None
        if (record.status, record.note, record.leave_id) == (status, note, leave_id):
            continue
        if RecordStatus.ABSENT in (record.status, status):
            alarm_relevant.append(record)
        record.status, record.note, record.leave_id = status, note, leave_id
        record.marked_at, record.marked_by = now, actor.user
        record.revision += 1
        changed.append(record)
        groups.setdefault((status, note, leave_id), []).append(record.pk)
    for (status, note, leave_id), ids in groups.items():
        AttendanceRecord.objects.filter(pk__in=ids).update(
            status=status, note=note, leave_id=leave_id, marked_at=now, marked_by=actor.user,
            revision=F("revision") + 1)
    if lesson.roll_call_at is None:
        lesson.roll_call_at, lesson.roll_call_by = now, actor.staff
    lesson.roll_call_revision += 1
    lesson.roll_call_token = token
    lesson.save(update_fields=["roll_call_at", "roll_call_by", "roll_call_revision",
                               "roll_call_token"])
    if alarm_relevant:
        _raise_alerts(lesson, alarm_relevant, actor, now, leaves)
    return RollCallResult(lesson=lesson, changed=changed)


def _raise_alerts(lesson: Lesson, records: list[AttendanceRecord], actor: Actor,
                  now: dt.datetime, on_leave: dict) -> None:
    """Absences without approved leave are alarms: the alerts module raises them (after commit
    it tells the guardians and the homeroom teacher). A record that was not absent before
    and is not now has no open alert, so only absences new or taken back are passed."""
    from .alerts import alerts_for_roll_call

    alerts_for_roll_call(lesson=lesson, records=records, actor=actor, now=now,
                         on_leave=on_leave)
