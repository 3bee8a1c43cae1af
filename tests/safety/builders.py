"""Builders for the safety tests: a term around today, a roster, today's lessons."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from afterschool.access import actor_for
from safety.models import DutyAssignment, DutyKind, DutyRoster
from tests.attendance.leave_builders import lesson, mark, term_around_today  # noqa: F401


def service_day_after(term, day: dt.date, n: int = 1) -> dt.date:
    """The n-th day after ``day`` that is one of the term's weekdays (no calendar entries)."""
    found = 0
    while True:
        day += dt.timedelta(days=1)
        if day.isoweekday() in (term.service_weekdays or [1, 2, 3, 4, 5]):
            found += 1
            if found == n:
                return day


def office(world):
    return actor_for(world.coordinator, world.school)


def actor_of(staff_or_user, world):
    user = getattr(staff_or_user, "user", staff_or_user)
    return actor_for(user, world.school)


def roster_by_hand(term, rows) -> DutyRoster:
    """A roster with exactly these duties: [(date, staff, kind), …] (kind "teacher"/"leader")."""
    roster, _ = DutyRoster.objects.get_or_create(
        term=term, defaults={"teachers_per_day": 1, "leaders_per_day": 1,
                             "from_date": term.start_date})
    DutyAssignment.objects.bulk_create([DutyAssignment(roster=roster, date=d, staff=s, kind=k)
                                        for d, s, k in rows])
    return roster


def duty_today(world, staff, kind=DutyKind.TEACHER) -> DutyRoster:
    return roster_by_hand(world.term, [(timezone.localdate(), staff, kind)])


def lesson_now(world, students=None, *, tutors=None, title="作业辅导（七年级1班）", venue="301教室",
               minutes_ago=15, length=40):
    """A lesson of today that started ``minutes_ago`` minutes ago."""
    now = timezone.localtime()
    start = (now - dt.timedelta(minutes=minutes_ago))
    if start.date() != now.date():  # just after midnight: start at 00:00
        start = now.replace(hour=0, minute=0)
    end = start + dt.timedelta(minutes=length)
    if end.date() != start.date():
        end = start.replace(hour=23, minute=59)
    made = lesson(world.term, now.date(),
                  students if students is not None else [world.child, world.other_child],
                  start=(start.hour, start.minute), end=(end.hour, end.minute), title=title,
                  tutors=tutors if tutors is not None else [world.tutor])
    made.venue = venue
    made.save(update_fields=["venue"])
    return made


def jpeg_bytes(size=(2400, 1800), color=(200, 30, 30), exif_gps=True) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (35.0, 35.0, 0.0)}  # GPS IFD
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
