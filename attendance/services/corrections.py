"""Corrections (更正): after a lesson locks, only the office changes a record, with a reason.

The record takes the new value (so every later number — workload, 公示 — reads the corrected
one) and an :class:`~attendance.models.AttendanceCorrection` keeps old, new, who, when and why.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role

from ..exceptions import (
    CORRECTION_NEEDS_REASON,
    CORRECTION_NOT_ALLOWED,
    CORRECTION_NOT_LOCKED,
    CORRECTION_SAME,
    ROLL_CALL_BAD_STATUS,
    AttendanceError,
)
from ..models import AttendanceCorrection, AttendanceRecord
from ..policy import is_locked, policy_for


@transaction.atomic
def record_correct(*, record: AttendanceRecord, new_status: str, reason: str, actor: Actor,
                   now: dt.datetime | None = None) -> AttendanceCorrection:
    now = now or timezone.now()
    if not actor.has(Role.COORDINATOR) or actor.school is None:
        raise AttendanceError(CORRECTION_NOT_ALLOWED)
    record = (AttendanceRecord.objects.select_for_update(of=("self",))
              .select_related("lesson__term", "student").get(pk=record.pk))
    lesson = record.lesson
    if lesson.term.school_id != actor.school.pk:
        raise AttendanceError(CORRECTION_NOT_ALLOWED)
    reason = (reason or "").strip()
    if not reason:
        raise AttendanceError(CORRECTION_NEEDS_REASON)
    if new_status not in AttendanceRecord.Status.values:
        raise AttendanceError(ROLL_CALL_BAD_STATUS.format(student=record.student.name,
                                                          value=new_status))
    if not is_locked(lesson, policy_for(lesson.term.school_id), now):
        raise AttendanceError(CORRECTION_NOT_LOCKED)
    if new_status == record.status:
        raise AttendanceError(CORRECTION_SAME)
    correction = AttendanceCorrection(record=record, old_status=record.status,
                                      new_status=new_status, reason=reason[:200],
                                      corrected_by=actor.user, corrected_at=now)
    correction.full_clean()
    correction.save()
    record.status = new_status
    if new_status != AttendanceRecord.Status.LEAVE:
        record.leave = None
    record.marked_at = record.marked_at or now
    record.revision += 1
    record.save(update_fields=["status", "leave", "marked_at", "revision"])
    from .alerts import alerts_for_roll_call

    alerts_for_roll_call(lesson=lesson, records=[record], actor=actor, now=now)
    return correction
