"""Shared builders for the attendance tests: a small published arrangement and its lessons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from afterschool.access import actor_for
from arrangement import services as arrangement_services
from courses.models import Course
from tests.arrangement.factories import run_now, small_term
from tests.courses.factories import CourseFactory, SectionFactory

# A week of the factory term (2024-09-09 … 2025-01-17, service Monday to Thursday).
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (dt.date(2024, 11, d) for d in (11, 12, 13, 14))
FRIDAY, SATURDAY, SUNDAY = (dt.date(2024, 11, d) for d in (15, 16, 17))
WEEK = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY)


@dataclass
class Arranged:
    small: object
    run: object
    reading: object      # the 周一阅读写字 section of the world's homeroom
    office: object       # the coordinator's Actor


def arrange(world, capture, *, n_students=6, capacity=2) -> Arranged:
    st = small_term(world, n_students=n_students, capacity=capacity)
    reading = CourseFactory(term=st.term, name="阅读写字", category="阅读写字",
                            mode=Course.Mode.HOMEROOM, is_fixed=True, grades=[st.grade])
    reading_1 = SectionFactory(course=reading, name="七年级1班", homeroom=world.homeroom,
                               slots=[(1, 2)], tutors=[world.homeroom_teacher])
    office = actor_for(world.coordinator, world.school)
    run = run_now(st.term, office, capture)
    with capture(execute=True):
        arrangement_services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return Arranged(small=st, run=run, reading=reading_1, office=office)


def at(date: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, dt.time(hour, minute)))
