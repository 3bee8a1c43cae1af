"""Who sees which courses and sections (courses/access.py)."""

import pytest

from afterschool.access import actor_for
from courses.access import courses_visible_to, sections_visible_to, terms_visible_to
from courses.models import Course
from tests import factories

from .factories import CourseFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    grade = world.homeroom.grade
    grade8 = factories.GradeFactory(school=world.school, number=8)
    art = CourseFactory(term=world.term, name="剪纸", grades=[grade])
    art_section = SectionFactory(course=art, slots=[(2, 2)], tutors=[world.tutor])
    ball = CourseFactory(term=world.term, name="篮球", grades=[grade])
    ball_section = SectionFactory(course=ball, slots=[(3, 2)], tutors=[world.external])
    closed = CourseFactory(term=world.term, name="停开", grades=[grade], is_active=False)
    older = CourseFactory(term=world.term, name="八年级", grades=[grade8])
    homework = CourseFactory(term=world.term, name="作业辅导", grades=[grade],
                             mode=Course.Mode.HOMEROOM, is_fixed=True)
    own = SectionFactory(course=homework, homeroom=world.homeroom, slots=[(1, 1)])
    # The guardian's other child (sibling) is in other_homeroom, so its section shows too.
    sibling = SectionFactory(course=homework, homeroom=world.other_homeroom, slots=[(1, 1)])
    foreign = CourseFactory(term=factories.TermFactory(school=world.other_school), name="外校")
    return dict(art=art, art_section=art_section, ball=ball, ball_section=ball_section,
                closed=closed, older=older, homework=homework, own=own, sibling=sibling,
                foreign=foreign)


def seen(user, world, fn):
    return set(fn(actor_for(user, world.school)))


def test_the_office_and_principal_see_the_whole_school(world, rows):
    for user in (world.coordinator, world.principal):
        assert seen(user, world, courses_visible_to) == {
            rows[k] for k in ("art", "ball", "closed", "older", "homework")}
        assert len(seen(user, world, sections_visible_to)) == 4


def test_a_tutor_sees_their_own_sections(world, rows):
    assert seen(world.tutor.user, world, courses_visible_to) == {rows["art"]}
    assert seen(world.tutor.user, world, sections_visible_to) == {rows["art_section"]}
    assert seen(world.external.user, world, sections_visible_to) == {rows["ball_section"]}


def test_a_guardian_sees_the_open_catalog_of_their_childrens_grades(world, rows):
    assert seen(world.guardian.user, world, courses_visible_to) == {
        rows["art"], rows["ball"], rows["homework"]}
    assert seen(world.guardian.user, world, sections_visible_to) == {
        rows["art_section"], rows["ball_section"], rows["own"], rows["sibling"]}


def test_a_guardian_sees_only_their_childrens_homeroom_sections(world, rows):
    # other_guardian's only child is in world.homeroom.
    assert rows["sibling"] not in seen(world.other_guardian.user, world, sections_visible_to)
    assert rows["own"] in seen(world.other_guardian.user, world, sections_visible_to)


def test_nobody_sees_another_schools_catalog(world, rows):
    assert rows["foreign"] not in seen(world.coordinator, world, courses_visible_to)
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    assert set(courses_visible_to(foreign)) == {rows["foreign"]}
    assert world.term not in set(terms_visible_to(foreign))


def test_visible_courses_can_be_counted_without_duplicates(world, rows):
    # Both of the guardian's children are in grade 7: still one row per course.
    qs = courses_visible_to(actor_for(world.guardian.user, world.school))
    assert qs.count() == 3
