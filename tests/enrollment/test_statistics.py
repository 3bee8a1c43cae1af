"""The participation numbers, their definitions, and pages that do not grow in queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterschool.access import homerooms_visible_to
from enrollment import selectors
from enrollment.models import Application
from tests import factories as core

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _student(world, homeroom, **kw):
    return core.StudentFactory(school=world.school, homeroom=homeroom, **kw)


@pytest.fixture
def school_numbers(world):
    """Homeroom 1: 10 students in every state; homeroom 2: 4 students (1 + the sibling)."""
    h1, h2 = world.homeroom, world.other_homeroom
    # world.child and world.other_child are in h1 with no application: 2 unanswered.
    plan = [Status.DRAFT, Status.SUBMITTED, Status.SUBMITTED, Status.CLASS_APPROVED,
            Status.SCHOOL_APPROVED, Status.PLACED, Status.RETURNED, Status.CLASS_REJECTED]
    for status in plan:
        ApplicationFactory(student=_student(world, h1), term=world.term, status=status)
    ApplicationFactory(student=_student(world, h1), term=world.term, status=Status.SUBMITTED,
                       participates=False, dismissal="", weekdays=[])
    ApplicationFactory(student=_student(world, h1), term=world.term, status=Status.WITHDRAWN)
    # An inactive (transferred) student counts nowhere.
    ApplicationFactory(student=_student(world, h1, is_active=False), term=world.term,
                       status=Status.SUBMITTED)
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.SCHOOL_REJECTED)
    ApplicationFactory(student=_student(world, h2), term=world.term, status=Status.SCHOOL_APPROVED,
                       participates=False)
    _student(world, h2)
    _student(world, h2)
    # Another term's application never counts.
    old = core.TermFactory(school=world.school, name="上学期", is_current=False)
    ApplicationFactory(student=world.child, term=old, status=Status.PLACED)


def test_the_numbers_by_homeroom_grade_and_school(world, school_numbers):
    stats = selectors.participation_statistics(
        homerooms=world.school.homerooms.all(), term=world.term, with_totals=True)
    h1, h2 = stats.homerooms
    assert (h1.label, h1.students, h1.answered, h1.applied, h1.declined, h1.pending,
            h1.approved, h1.class_approved, h1.returned, h1.rejected, h1.withdrawn,
            h1.unanswered) == ("七年级1班", 12, 9, 7, 1, 3, 3, 1, 1, 1, 1, 3)
    assert h1.rate_text == "7/12 = 58.3%"
    assert (h2.students, h2.answered, h2.applied, h2.declined, h2.rejected, h2.approved) == (
        4, 2, 1, 1, 1, 1)
    # Both partitions of "answered" hold.
    for row in (h1, h2):
        assert row.applied + row.declined + row.withdrawn == row.answered
        assert (row.pending + row.approved + row.returned + row.rejected + row.withdrawn
                == row.answered)
    (grade,) = stats.grades
    assert grade.label == "七年级合计" and grade.students == 16 and grade.applied == 8
    assert stats.total.students == 16 and stats.total.rate_text == "8/16 = 50.0%"
    assert [r.label for r in stats.unfinished] == ["七年级1班"]


def test_the_rate_reads_like_the_report():
    row = selectors.StatRow(label="七年级", students=1096, applied=507)
    assert row.rate_text == "507/1,096 = 46.3%"
    assert selectors.StatRow(label="空").rate_text == "—"


def test_a_homeroom_teacher_gets_their_row_only(world, actors, school_numbers):
    stats = selectors.participation_statistics(
        homerooms=homerooms_visible_to(actors["homeroom_teacher"]), term=world.term,
        with_totals=False)
    assert [r.label for r in stats.homerooms] == ["七年级1班"]
    assert stats.total is None and stats.grades == []


def test_the_page_states_the_definition(world, login, school_numbers):
    page = login(world.coordinator).get(reverse("enrollment:statistics")).content.decode()
    assert "参与率 = 申请参加 ÷ 学生数" in page
    assert "7/12 = 58.3%" in page and "8/16 = 50.0%" in page
    assert "尚未审核完的班级" in page and "待审核 3 份" in page


# ---------------------------------------------------------------------------- query counts

def _fill_homeroom(world, n):
    """n students in the homeroom, each with guardians, most with a form with choices."""
    from enrollment.models import Preference
    from tests.courses.factories import CourseFactory

    course = CourseFactory(term=world.term, name=f"课程{n}", grades=[world.homeroom.grade])
    statuses = [Status.SUBMITTED, Status.DRAFT, Status.CLASS_APPROVED, Status.RETURNED]
    for i in range(n):
        student = _student(world, world.homeroom)
        core.link_guardian(student, core.GuardianFactory(school=world.school))
        if i % 5:
            app = ApplicationFactory(student=student, term=world.term,
                                     status=statuses[i % len(statuses)])
            Preference.objects.create(application=app, rank=1, course=course)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("who,url", [
    ("homeroom_teacher", "/enrollment/review/?bucket=all"),
    ("homeroom_teacher", "/enrollment/review/?bucket=submitted&participates=yes"),
    ("coordinator", "/enrollment/review/?bucket=all"),
    ("coordinator", "/enrollment/statistics/"),
    ("homeroom_teacher", "/school/home/"),
])
def test_review_pages_stay_flat_from_10_to_60_students(world, login, agreement, who, url):
    user = world.homeroom_teacher.user if who == "homeroom_teacher" else world.coordinator
    url = reverse("school:home") if url == "/school/home/" else url
    client = login(user)
    _fill_homeroom(world, 10)
    client.get(url)  # warm caches (content types, sessions) out of the measurement
    small = _queries(client, url)
    _fill_homeroom(world, 50)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 10 students, {large} for 60"
