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
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, Exists, F, OuterRef, Value, When
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
from ..policy import is_locked, locks_at, policy_of
from ..selectors import records_with_approved_leave

RecordStatus = AttendanceRecord.Status
STATUSES = frozenset(RecordStatus.values)
_CASE_OUTPUT = {"status": CharField(), "note": CharField(), "leave_id": BigIntegerField()}
PRESENT, LEAVE, ABSENT = (RecordStatus.PRESENT.value, RecordStatus.LEAVE.value,
                          RecordStatus.ABSENT.value)


@dataclass
class RollCallResult:
    lesson: Lesson
    changed: list[AttendanceRecord]
    duplicate: bool = False
    # What was submitted: student id → status (everyone present for 全部到齐).
    marks: dict[int, str] = field(default_factory=dict)


def may_take_roll_call(actor: Actor, lesson: Lesson, *, teaches: bool | None = None) -> bool:
    """The lesson's substitute when one is set (the tutor is away), else one of its tutors.

    ``teaches``: whether the actor is one of the tutors, when the caller read it already."""
    staff = actor.staff
    if staff is None:
        return False
    if lesson.substitute_id is not None:
        return lesson.substitute_id == staff.pk
    if teaches is not None:
        return teaches
    # all(): the page has the tutors prefetched; otherwise one small query.
    return any(tutor.pk == staff.pk for tutor in lesson.tutors.all())


@transaction.atomic
def roll_call_submit(*, lesson: Lesson | int, actor: Actor, marks: dict[int, str] | None = None,
                     revision: int, token: str, notes: dict[int, str] | None = None,
                     all_present: bool = False,
                     now: dt.datetime | None = None) -> RollCallResult:
    """Write the roll call of every student of the lesson: ``marks`` maps student id → status.

    Every expected student must be in ``marks`` (the page sends them all, present by default);
    a student who is not on the lesson refuses the whole submission. ``all_present`` (全部到齐)
    marks everyone on the lesson present, whatever ``marks`` says.

    ``lesson`` is a Lesson or its id: only the id is used. The row is read under lock with the
    school's policy and whether the actor teaches it, in one query, so the view need not read
    it first (``Lesson.DoesNotExist`` when there is none). The 16:40 peak is made of these.
    """
    now = now or timezone.now()
    staff = actor.staff
    locked = (Lesson.objects.select_for_update(of=("self",))
              .select_related("term__school__attendance_policy"))
    if staff is not None:
        locked = locked.annotate(actor_teaches=Exists(Lesson.tutors.through.objects.filter(
            lesson_id=OuterRef("pk"), staff_id=staff.pk)))
    lesson = locked.get(pk=lesson if isinstance(lesson, int) else lesson.pk)
    if token and lesson.roll_call_token == token:
        return RollCallResult(lesson=lesson, changed=[], duplicate=True, marks=marks or {})
    if not may_take_roll_call(actor, lesson, teaches=getattr(lesson, "actor_teaches", False)):
        raise AttendanceError(ROLL_CALL_NOT_YOURS)
    if lesson.is_cancelled:
        raise AttendanceError(ROLL_CALL_CANCELLED)
    policy = policy_of(lesson.term.school)
    if is_locked(lesson, policy, now):
        raise AttendanceError(ROLL_CALL_LOCKED.format(
            locked_at=f"{timezone.localtime(locks_at(lesson, policy)):%m月%d日 %H:%M}"))
    if lesson.date > timezone.localdate(now):
        raise AttendanceError(ROLL_CALL_NOT_STARTED.format(date=f"{lesson.date:%m月%d日}"))
    if revision != lesson.roll_call_revision:
        by = lesson.roll_call_by.name if lesson.roll_call_by else "其他老师"
        at = timezone.localtime(lesson.roll_call_at) if lesson.roll_call_at else now
        raise AttendanceError(ROLL_CALL_STALE.format(by=by, at=f"{at:%H:%M}"))
    # The records with the approved leave covering each child, in one query; the children's
    # names are read only for a refusal.
    records = {r.student_id: r for r in records_with_approved_leave(lesson).order_by("student_id")}
    if all_present:
        marks = dict.fromkeys(records, PRESENT)
    marks = marks or {}
    for student_id in marks:
        if student_id not in records:
            raise AttendanceError(ROLL_CALL_STUDENT_NOT_ON_LESSON.format(student=student_id))
    missing = [r for sid, r in records.items() if sid not in marks][:3]
    if missing:
        raise AttendanceError(ROLL_CALL_BAD_STATUS.format(
            student="、".join(r.student.name for r in missing), value="（未提交）"))
    for student_id, status in marks.items():
        if status not in STATUSES:
            raise AttendanceError(ROLL_CALL_BAD_STATUS.format(
                student=records[student_id].student.name, value=status))
    notes = notes or {}
    changed = []
    # Absences, new or taken back, are what the alerts look at.
    alarm_relevant = []
    user = actor.user
    for student_id, record in records.items():
        status = marks[student_id]
        note = notes.get(student_id)
        note = note.strip()[:200] if note else ""
        leave_id = record.approved_leave_id if status == LEAVE else None
        if record.status == status and record.note == note and record.leave_id == leave_id:
            continue
        if status == ABSENT or record.status == ABSENT:
            alarm_relevant.append(record)
        record.status, record.note, record.leave_id = status, note, leave_id
        record.marked_at, record.marked_by = now, user
        record.revision += 1
        changed.append(record)
    if changed:
        _write_records(changed, now=now, user=user)
    if lesson.roll_call_at is None:
        lesson.roll_call_at, lesson.roll_call_by = now, staff
    lesson.roll_call_revision += 1
    lesson.roll_call_token = token
    lesson.save(update_fields=["roll_call_at", "roll_call_by", "roll_call_revision",
                               "roll_call_token"])
    if alarm_relevant:
        on_leave = {sid: r.approved_leave_id for sid, r in records.items()
                    if r.approved_leave_id is not None}
        _raise_alerts(lesson, alarm_relevant, actor, now, on_leave)
    return RollCallResult(lesson=lesson, changed=changed, marks=marks)


def _write_records(changed: list[AttendanceRecord], *, now: dt.datetime, user) -> None:
    """One UPDATE for every changed record (their new values already set on them).

    A field the records share is set plainly; one that differs — the status, mostly — by a
    CASE over the handful of values it takes, the commonest as the ELSE, so the IN lists name
    only the few other children. Never a WHEN per record: bulk_update's CASE over every
    record and field was the slow part of a roll call. The revision is bumped in the database,
    as every writer of a record does."""
    values = {}
    for name in ("status", "note", "leave_id"):
        by_value: dict = {}
        for record in changed:
            by_value.setdefault(getattr(record, name), []).append(record.pk)
        if len(by_value) == 1:
            values[name] = next(iter(by_value))
            continue
        output = _CASE_OUTPUT[name]
        common = max(by_value, key=lambda value: len(by_value[value]))
        values[name] = Case(
            *(When(pk__in=pks, then=Value(value, output_field=output))
              for value, pks in by_value.items() if value != common),
            default=Value(common, output_field=output), output_field=output)
    AttendanceRecord.objects.filter(pk__in=[r.pk for r in changed]).update(
        **values, marked_at=now, marked_by=user, revision=F("revision") + 1)


def _raise_alerts(lesson: Lesson, records: list[AttendanceRecord], actor: Actor,
                  now: dt.datetime, on_leave: dict) -> None:
    """Absences without approved leave are alarms: the alerts module raises them (after commit
    it tells the guardians and the homeroom teacher). A record that was not absent before
    and is not now has no open alert, so only absences new or taken back are passed."""
    from .alerts import alerts_for_roll_call

    alerts_for_roll_call(lesson=lesson, records=records, actor=actor, now=now,
                         on_leave=on_leave)
