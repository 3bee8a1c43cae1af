"""The office's catalog counts, against rows counted by hand."""

import pytest

from courses.selectors import catalog_summary

from .factories import CourseFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_catalog_summary_counts_open_courses_their_sections_seats_and_untutored(world):
    term = world.term
    art = CourseFactory(term=term, name="美术")
    SectionFactory(course=art, name="1班", capacity=20, tutors=[world.tutor])
    SectionFactory(course=art, name="2班", capacity=15)                  # no tutor yet
    CourseFactory(term=term, name="围棋")                                # open, no section
    closed = CourseFactory(term=term, name="航模", is_active=False)
    SectionFactory(course=closed, name="1班", capacity=30)              # not counted
    elsewhere = CourseFactory(term=world.other_school.terms.create(
        name="别校学期", start_date=term.start_date, end_date=term.end_date))
    SectionFactory(course=elsewhere, capacity=40)                        # another school's

    assert catalog_summary(world.school, term) == {
        "courses": 2, "closed": 1, "sections": 2, "seats": 35, "untutored": 1}


def test_an_empty_catalog_counts_nothing(world):
    assert catalog_summary(world.school, world.term) == {
        "courses": 0, "closed": 0, "sections": 0, "seats": 0, "untutored": 0}
