"""The dashboards' shared fixture: a week of a small arranged term with its roll calls taken."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from afterschool.access import actor_for
from attendance.models import Lesson
from attendance.services import lessons_regenerate, roll_call_submit
from tests.attendance.helpers import MONDAY, THURSDAY, TUESDAY, WEDNESDAY, arrange, at

NOVEMBER = dt.date(2024, 11, 1)
STATUSES = ("present", "late", "leave", "absent")


@pytest.fixture
def month(world, django_capture_on_commit_callbacks):
    """A week of lessons of a small arranged term, their roll calls taken by their tutors at
    varied minutes with varied marks (one lesson never taken), through the service."""
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=9, capacity=4)
    lessons_regenerate(term=arranged.small.term, dates=[MONDAY, TUESDAY, WEDNESDAY, THURSDAY])
    rng = random.Random(7)
    lessons = list(Lesson.objects.filter(term=world.term).prefetch_related("tutors")
                   .order_by("date", "start_time", "pk"))
    skipped = lessons[3]
    for lesson in lessons:
        if lesson is skipped or not lesson.tutors.exists():
            continue
        tutor = lesson.tutors.first()
        marks = {sid: rng.choice(STATUSES) for sid in
                 lesson.records.values_list("student_id", flat=True)}
        minute = rng.choice([2, 5, 25])
        start = dt.datetime.combine(lesson.date, lesson.start_time) + dt.timedelta(
            minutes=minute)
        with django_capture_on_commit_callbacks(execute=True):
            roll_call_submit(lesson=lesson, actor=actor_for(tutor.user, world.school),
                             marks=marks, revision=0, token=f"t{lesson.pk}",
                             now=at(lesson.date, start.hour, start.minute))
    return arranged


