"""Builders for the evaluation tests: dated lessons with their records, marked as a roll call or
a correction would leave them (those services are attendance's, tested there)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from afterschool.access import actor_for
from attendance.models import AttendanceCorrection, AttendanceRecord, Lesson

# November 2024 is inside the factory term (2024-09-09 … 2025-01-17).
NOV = dt.date(2024, 11, 1)
DEC_5 = timezone.make_aware(dt.datetime(2024, 12, 5, 9, 0))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_lesson(term, day, students, *, start=(16, 40), end=(17, 20), title="作业辅导",
                tutors=(), kind=Lesson.Kind.HOMEWORK, homeroom=None, substitute=None,
                section_id=None, cancelled=False, key=None) -> Lesson:
    lesson = Lesson.objects.create(
        term=term, date=day, start_time=dt.time(*start), end_time=dt.time(*end), kind=kind,
        key=key or f"test:{title}:{day}:{start[0]}{start[1]}", title=title, homeroom=homeroom,
        substitute=substitute, section_id=section_id, is_cancelled=cancelled)
    lesson.tutors.set(tutors)
    AttendanceRecord.objects.bulk_create(
        [AttendanceRecord(lesson=lesson, student=s) for s in students])
    return lesson


def take(lesson: Lesson, marks: dict, *, by, when: dt.datetime) -> Lesson:
    """What a roll call leaves: every record marked, the lesson stamped (time and staff)."""
    for student, status in marks.items():
        AttendanceRecord.objects.filter(lesson=lesson, student=student).update(
            status=status, marked_at=when, marked_by=by.user)
    lesson.roll_call_at, lesson.roll_call_by = when, by
    lesson.save(update_fields=["roll_call_at", "roll_call_by"])
    return lesson


def correct(lesson: Lesson, student, status: str, *, by_user, when: dt.datetime,
            reason="补交假条") -> None:
    """What a correction after locking leaves: the new value in the record, the story beside."""
    record = AttendanceRecord.objects.get(lesson=lesson, student=student)
    AttendanceCorrection.objects.create(record=record, old_status=record.status,
                                        new_status=status, reason=reason,
                                        corrected_by=by_user, corrected_at=when)
    record.status = status
    record.marked_at = record.marked_at or when
    record.save(update_fields=["status", "marked_at"])


def office(world):
    return actor_for(world.coordinator, world.school)


def principal(world):
    return actor_for(world.principal, world.school)


def as_staff(world, staff):
    return actor_for(staff.user, world.school)
