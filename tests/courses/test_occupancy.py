"""What apps above the catalog hold (courses.occupancy) is part of the catalog's clash checks."""

import pytest

from afterschool.access import actor_for
from courses import exceptions, occupancy, selectors, services
from courses.occupancy import Occupied

from .factories import CourseFactory, SectionFactory, period

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def held(world, monkeypatch):
    """Only this test's provider: 赵老师 and 一楼活动室 on Tuesday's first period."""
    first = period(world.term, 1)
    items = [Occupied(weekday=2, period_id=first.pk, period_number=1, label="作业辅导「七年级1班」",
                      tutor_id=world.tutor.pk, venue="一楼活动室")]
    monkeypatch.setattr(occupancy, "_providers", [])
    occupancy.register_occupancy(lambda term: items if term == world.term else [])
    return items


def test_a_tutor_held_elsewhere_is_refused_at_that_slot_only(world, office, held):
    course = CourseFactory(term=world.term, grades=[world.homeroom.grade], name="剪纸")
    with pytest.raises(exceptions.ScheduleClash) as caught:
        services.section_create(actor=office, course=course, name="1班",
                                slots=[(2, period(world.term, 1))], tutors=[world.tutor])
    assert caught.value.message == exceptions.TUTOR_BUSY_OUTSIDE.format(
        tutor="赵老师", slot="周二第1节", what="作业辅导「七年级1班」")
    assert not course.sections.exists()
    section = services.section_create(actor=office, course=course, name="1班",
                                      slots=[(3, period(world.term, 1))], tutors=[world.tutor])
    # Adding the slot later, or the tutor to a section at that slot, is refused the same way.
    with pytest.raises(exceptions.ScheduleClash):
        services.section_update(actor=office, section=section, name="1班", capacity=25,
                                slots=[(3, period(world.term, 1)), (2, period(world.term, 1))],
                                tutors=[world.tutor])
    other = SectionFactory(course=course, name="2班", slots=[(2, 1)])
    with pytest.raises(exceptions.ScheduleClash):
        services.section_set_tutors(actor=office, section=other, tutors=[world.tutor])


def test_a_venue_held_elsewhere_is_refused(world, office, held):
    course = CourseFactory(term=world.term, grades=[world.homeroom.grade], name="剪纸")
    with pytest.raises(exceptions.ScheduleClash) as caught:
        services.section_create(actor=office, course=course, name="1班", venue="一楼活动室",
                                slots=[(2, period(world.term, 1))])
    assert caught.value.message == exceptions.VENUE_BUSY_OUTSIDE.format(
        venue="一楼活动室", slot="周二第1节", what="作业辅导「七年级1班」")


def test_the_staffing_proposal_leaves_a_held_tutor_alone_and_counts_the_lesson(world, held):
    course = CourseFactory(term=world.term, grades=[world.homeroom.grade], name="剪纸",
                           instructor_subject="美术")
    at_homework = SectionFactory(course=course, name="1班", slots=[(2, 1)])
    later = SectionFactory(course=course, name="2班", slots=[(2, 2)])
    proposal = selectors.staffing_proposal(world.term, time_limit=5)
    added = {row["section"].pk: row["tutors"] for row in proposal.proposal}
    assert world.tutor not in added.get(at_homework.pk, [])
    assert added[later.pk] == [world.tutor]
    load = next(row for row in proposal.loads if row["staff"] == world.tutor)
    assert (load["before"], load["load"]) == (1, 2)
