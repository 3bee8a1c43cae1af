"""Builders for the leave and alert tests: dated lessons with their expected students, made
directly (lesson generation is tested on its own), and a term around today for the pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from afterschool.access import actor_for
from attendance.models import AttendanceRecord, Lesson

# A week of the factory term (2024-09-09 … 2025-01-17): Monday 11 November 2024 …
MONDAY = dt.date(2024, 11, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def lesson(term, day, students, *, start=(16, 40), end=(17, 20), title="作业辅导",
           tutors=(), kind=Lesson.Kind.HOMEWORK, homeroom=None) -> Lesson:
    """A lesson with one empty record per expected student (as generation makes them)."""
    made = Lesson.objects.create(
        term=term, date=day, start_time=dt.time(*start), end_time=dt.time(*end), kind=kind,
        key=f"test:{title}:{start[0]}{start[1]}", title=title, homeroom=homeroom)
    made.tutors.set(tutors)
    AttendanceRecord.objects.bulk_create(
        [AttendanceRecord(lesson=made, student=s) for s in students])
    return made


def record(lesson_row, student) -> AttendanceRecord:
    return AttendanceRecord.objects.get(lesson=lesson_row, student=student)


def mark(lesson_row, student, status, *, by, when=None) -> AttendanceRecord:
    """What a roll call writes for one child (the roll-call service is part A's)."""
    row = record(lesson_row, student)
    row.status = status
    row.marked_at = when or timezone.now()
    row.marked_by = by
    row.save()
    return row


def actors(world):
    """The Actor of each person of the world, by a short name."""
    school = world.school
    return {
        "guardian": actor_for(world.guardian.user, school),
        "other_guardian": actor_for(world.other_guardian.user, school),
        "homeroom_teacher": actor_for(world.homeroom_teacher.user, school),
        "other_homeroom_teacher": actor_for(world.other_homeroom_teacher.user, school),
        "tutor": actor_for(world.tutor.user, school),
        "coordinator": actor_for(world.coordinator, school),
        "principal": actor_for(world.principal, school),
        "duty_teacher": actor_for(world.duty_teacher.user, school),
    }


def term_around_today(term, *, before=30, after=90):
    """Move the world's term so that today is inside it (the pages use the real clock)."""
    today = timezone.localdate()
    term.start_date = today - dt.timedelta(days=before)
    term.end_date = today + dt.timedelta(days=after)
    term.save(update_fields=["start_date", "end_date"])
    return term
