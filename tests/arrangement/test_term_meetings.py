"""TermMeetings answers for one student exactly as meetings_on does, loaded once: for the whole
school (attendance) or for a few children (the guardian's timetable)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from afterschool.access import actor_for
from arrangement import services
from arrangement.selectors import meetings_on
from arrangement.selectors.meetings import TermMeetings
from courses.models import Course
from enrollment.models import Application
from tests.courses.factories import CourseFactory, SectionFactory

from .factories import run_now, small_term

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 11, 11)
TWO_WEEKS = [MONDAY + dt.timedelta(days=i) for i in range(14)]


def key(meeting):
    return (meeting.date, meeting.weekday, meeting.kind, meeting.title,
            meeting.period.pk if meeting.period else None, meeting.venue,
            [t.pk for t in meeting.tutors], meeting.section.pk if meeting.section else None,
            meeting.group.pk if meeting.group else None,
            meeting.homeroom.pk if meeting.homeroom else None)


@pytest.fixture
def school(world, django_capture_on_commit_callbacks):
    """A published run with 周一阅读写字 in 七年级1班, named homework rooms, a child leaving
    on Thursday, a homeroom-mode range on Monday and Tuesday of the second week and a seat
    given up from its Wednesday."""
    office = actor_for(world.coordinator, world.school)
    st = small_term(world, n_students=8, capacity=3)
    reading = CourseFactory(term=st.term, name="阅读写字", category="阅读写字",
                            mode=Course.Mode.HOMEROOM, is_fixed=True, grades=[st.grade])
    SectionFactory(course=reading, name="七年级1班", homeroom=world.homeroom, slots=[(1, 2)],
                   tutors=[world.homeroom_teacher], venue="七年级1班教室")
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.homework_groups.update(room="302教室")
    moved = run.placements.filter(student=world.child).first()
    run.placements.filter(pk=moved.pk).update(ended_on=MONDAY + dt.timedelta(days=9))
    Application.objects.filter(term=st.term, student=world.other_child).update(
        status=Application.Status.WITHDRAWN, withdrawn_on=MONDAY + dt.timedelta(days=3),
        withdraw_reason="搬家")
    services.homeroom_mode_start(term=st.term, actor=office, start_date=MONDAY + dt.timedelta(7),
                                 end_date=MONDAY + dt.timedelta(8), reason="流感高发")
    return st, run


def students_of(term):
    return [a.student for a in Application.objects.filter(term=term).select_related("student")]


def test_each_student_meets_what_meetings_on_says_every_day(world, school):
    st, run = school
    students = students_of(st.term)
    whole = TermMeetings(st.term)
    few = TermMeetings(st.term, students=[world.child, world.other_child], run=run)
    compared = 0
    for date in TWO_WEEKS:
        for student in students:
            expected = [key(m) for m in meetings_on(date, student=student)]
            assert [key(m) for m in whole.for_student(student.pk, date)] == expected, \
                (student.name, date)
            if student.pk in (world.child.pk, world.other_child.pk):
                assert [key(m) for m in few.for_student(student.pk, date)] == expected
            compared += bool(expected)
    assert compared > 20  # the days compared had meetings, not only empty answers
    kinds = {m.kind for d in TWO_WEEKS for m in whole.for_student(world.child.pk, d)}
    assert kinds == {"course", "homework", "fixed", "homeroom"}


def test_a_few_students_load_in_the_same_queries_as_one(world, school):
    st, run = school
    students = students_of(st.term)

    def queries(children):
        with CaptureQueriesContext(connection) as captured:
            week = TermMeetings(st.term, students=children, run=run)
            for date in TWO_WEEKS:
                for child in children:
                    week.for_student(child.pk, date)
        return len(captured)

    assert queries(students[:1]) == queries(students)
