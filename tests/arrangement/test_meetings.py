"""meetings_on: one answer for a student, a tutor and a homeroom on a date."""

import datetime as dt

import pytest

from afterschool.access import actor_for
from arrangement import services
from arrangement.selectors import meetings_on, weekly_schedule
from courses.models import Course
from enrollment.models import Application
from tests.courses.factories import CourseFactory, SectionFactory

from .factories import run_now, small_term

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (dt.date(2024, 11, d) for d in (11, 12, 13, 14))
WEEK = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY)


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def school(world, office, django_capture_on_commit_callbacks):
    """Small term, 周一阅读写字 in 七年级1班 with its 班主任, and a published run."""
    st = small_term(world, n_students=6, capacity=2)
    reading = CourseFactory(term=st.term, name="阅读写字", category="阅读写字",
                            mode=Course.Mode.HOMEROOM, is_fixed=True, grades=[st.grade])
    reading_1 = SectionFactory(course=reading, name="七年级1班", homeroom=world.homeroom,
                               slots=[(1, 2)], tutors=[world.homeroom_teacher])
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return st, run, reading_1


def kinds(meetings):
    return {m.kind for m in meetings}


def test_a_child_meets_their_groups_sections_and_fixed_items(world, school):
    st, run, reading = school
    child = world.child
    placement = run.placements.get(student=child)
    course_days = {slot.weekday for slot in placement.section.slots.all()}
    for date in WEEK:
        meetings = meetings_on(date, student=child)
        assert all(m.date == date and m.weekday == date.isoweekday() for m in meetings)
        assert "homework" in kinds(meetings)
        lessons = [m.section for m in meetings if m.kind == "course"]
        assert lessons == ([placement.section] if date.isoweekday() in course_days else [])
        fixed = [m.section for m in meetings if m.kind == "fixed"]
        assert fixed == ([reading] if date == MONDAY else [])
        # The week view and the day view agree on the arrangement's own meetings.
        week = [(m.kind, m.title) for m in weekly_schedule(run, child, on=date)
                if m.weekday == date.isoweekday()]
        assert week == [(m.kind, m.title) for m in meetings if m.kind != "fixed"]
    # A sibling in the other homeroom has no 阅读写字 there.
    assert "fixed" not in kinds(meetings_on(MONDAY, student=world.sibling))


def test_a_tutor_meets_their_sections_groups_and_fixed_items(world, school):
    st, run, reading = school
    calligraphy = st.courses["calligraphy"].sections.get()
    assert run.placements.filter(section=calligraphy).exists()
    wednesday = meetings_on(WEDNESDAY, tutor=world.tutor)
    assert [m.section for m in wednesday if m.kind == "course"] == [calligraphy]
    assert not [m for m in meetings_on(TUESDAY, tutor=world.tutor) if m.kind == "course"]

    monday = meetings_on(MONDAY, tutor=world.homeroom_teacher)
    group = run.homework_groups.get(weekday=1)
    # The merged group meets in 七年级1班's classroom: its 班主任 tutors it when free.
    assert group.room == "七年级1班教室" and group.tutor == world.homeroom_teacher
    assert [(m.kind, m.section, m.group) for m in monday] == [
        ("homework", None, group), ("fixed", reading, None)]
    mine = meetings_on(MONDAY, tutor=group.tutor)
    assert [(m.kind, m.group) for m in mine if m.kind == "homework"] == [("homework", group)]
    assert not [m for m in meetings_on(TUESDAY, tutor=group.tutor) if m.group == group]


def test_a_homeroom_meets_what_its_children_meet(world, school):
    st, run, reading = school
    tuesday = meetings_on(TUESDAY, homeroom=world.homeroom)
    placed = set(run.placements.filter(student__homeroom=world.homeroom,
                                       section__slots__weekday=2)
                 .values_list("section_id", flat=True))
    assert {m.section.pk for m in tuesday if m.kind == "course"} == placed
    groups = set(run.homework_groups.filter(weekday=2, homerooms=world.homeroom)
                 .values_list("pk", flat=True))
    assert groups and {m.group.pk for m in tuesday if m.kind == "homework"} == groups
    assert [m.section for m in meetings_on(MONDAY, homeroom=world.homeroom)
            if m.kind == "fixed"] == [reading]


def test_homeroom_mode_replaces_clubs_with_the_homeroom(world, office, school):
    st, run, reading = school
    services.homeroom_mode_start(term=st.term, actor=office, start_date=MONDAY, end_date=TUESDAY,
                                 reason="流感高发")
    child = meetings_on(TUESDAY, student=world.child)
    assert kinds(child) == {"homeroom"} and child[0].title.startswith("七年级1班")
    head = meetings_on(TUESDAY, tutor=world.homeroom_teacher)
    assert head and all(m.kind == "homeroom" and m.homeroom == world.homeroom for m in head)
    assert world.homeroom_teacher in head[0].tutors
    # Monday's 阅读写字 is the homeroom's own section: it still meets, in the homeroom.
    assert reading in [m.section for m in meetings_on(MONDAY, homeroom=world.homeroom)]
    # The basketball coach's club pauses.
    assert meetings_on(TUESDAY, tutor=world.external) == []
    assert meetings_on(WEDNESDAY, tutor=world.tutor)  # the range is over


def test_nothing_meets_before_publishing_outside_the_term_or_after_leaving(
        world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=4)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    assert meetings_on(TUESDAY, student=world.child) == []
    assert meetings_on(TUESDAY, homeroom=world.homeroom) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    assert meetings_on(TUESDAY, student=world.child)
    assert meetings_on(dt.date(2025, 3, 4), student=world.child) == []

    Application.objects.filter(student=world.child).update(
        status=Application.Status.WITHDRAWN, withdrawn_on=WEDNESDAY, withdraw_reason="搬家")
    assert meetings_on(TUESDAY, student=world.child)
    assert meetings_on(WEDNESDAY, student=world.child) == []


def test_exactly_one_subject(world):
    with pytest.raises(TypeError):
        meetings_on(MONDAY)
    with pytest.raises(TypeError):
        meetings_on(MONDAY, student=world.child, homeroom=world.homeroom)
