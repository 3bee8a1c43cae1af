"""A school's attendance settings and the times that follow from them (locking, punctuality).

Pure functions of a lesson and its school's :class:`~attendance.models.AttendancePolicy`, read
by services, selectors and templates alike, so "locked" and "late" mean one thing everywhere.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import AttendancePolicy, Lesson

NOT_STARTED = "not_started"
DUE = "due"
TAKEN = "taken"
LATE = "late"
STATE_LABELS = {NOT_STARTED: "未开始", DUE: "待点名", TAKEN: "已点名", LATE: "迟交"}


def policy_for(school_id: int) -> AttendancePolicy:
    """The school's settings; a school without a row gets the defaults (unsaved)."""
    return (AttendancePolicy.objects.filter(school_id=school_id).first()
            or AttendancePolicy(school_id=school_id))


def policy_of(school) -> AttendancePolicy:
    """:func:`policy_for` of a school read with ``select_related("attendance_policy")``: no
    query then (without it, one)."""
    try:
        return school.attendance_policy
    except AttendancePolicy.DoesNotExist:
        return AttendancePolicy(school_id=school.pk)


def _at(date: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, time))


def starts_at(lesson: Lesson) -> dt.datetime:
    return _at(lesson.date, lesson.start_time)


def due_by(lesson: Lesson, policy: AttendancePolicy) -> dt.datetime:
    """A roll call taken after this is not punctual; a missing one is flagged red."""
    return starts_at(lesson) + dt.timedelta(minutes=policy.roll_call_grace_minutes)


def locks_at(lesson: Lesson, policy: AttendancePolicy) -> dt.datetime:
    day = lesson.date + dt.timedelta(days=1) if policy.lock_next_day else lesson.date
    return _at(day, policy.lock_time)


def is_locked(lesson: Lesson, policy: AttendancePolicy, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= locks_at(lesson, policy)


def is_punctual(lesson: Lesson, policy: AttendancePolicy) -> bool | None:
    """None while no roll call was taken; else whether it came within the grace minutes."""
    if lesson.roll_call_at is None:
        return None
    return lesson.roll_call_at <= due_by(lesson, policy)


def lesson_state(lesson: Lesson, policy: AttendancePolicy,
                 now: dt.datetime | None = None) -> str:
    """未开始 / 待点名 / 已点名 / 迟交 (taken after the grace minutes, or still missing then)."""
    now = now or timezone.now()
    if lesson.roll_call_at is not None:
        return TAKEN if is_punctual(lesson, policy) else LATE
    if now < starts_at(lesson):
        return NOT_STARTED
    return DUE if now <= due_by(lesson, policy) else LATE
