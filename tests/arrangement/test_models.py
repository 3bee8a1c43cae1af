"""The database refuses what must never hold in an arrangement."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from arrangement.models import (
    Arrangement,
    HomeroomModePeriod,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
)

from .factories import small_term


def _run(term, version, **kw):
    return Arrangement.objects.create(term=term, version=version, seed=1, **kw)


def test_one_published_arrangement_per_term(world):
    _run(world.term, 1, status=Arrangement.Status.PUBLISHED)
    _run(world.term, 2, status=Arrangement.Status.SUPERSEDED)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run(world.term, 3, status=Arrangement.Status.PUBLISHED)


def test_version_unique_per_term(world):
    _run(world.term, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run(world.term, 1)


def test_one_placement_per_student_and_course(world):
    st = small_term(world)
    run = _run(world.term, 1)
    course = st.courses["basketball"]
    section = course.sections.get()
    app = st.applications[0]
    Placement.objects.create(arrangement=run, student=app.student, application=app,
                             course=course, section=section, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Placement.objects.create(arrangement=run, student=app.student, application=app,
                                 course=course, section=section, rank=1)


def test_child_in_one_homework_group_per_day(world):
    run = _run(world.term, 1)
    a = HomeworkGroup.objects.create(arrangement=run, weekday=1, name="七年级1班")
    b = HomeworkGroup.objects.create(arrangement=run, weekday=1, name="七年级2班")
    HomeworkGroupMember.objects.create(group=a, student=world.child, arrangement=run, weekday=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeworkGroupMember.objects.create(group=b, student=world.child, arrangement=run,
                                           weekday=1)


def test_homeroom_mode_period_starts_before_it_ends(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeroomModePeriod.objects.create(term=world.term, start_date=dt.date(2024, 11, 5),
                                          end_date=dt.date(2024, 11, 4), reason="流感")
