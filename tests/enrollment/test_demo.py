"""The demo step: about half the students, a spread of states, real history, idempotent."""

import pytest

from enrollment.demo import build_demo_applications, enrollment_demo
from enrollment.models import Application, ApplicationTransition, Signature
from tests import factories as core

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def big_school(world):
    # ~100 forms: which student draws which state depends on factory sequence numbers (the
    # order tests ran in), so the spread must hold for any draw, not for one lucky order.
    for _ in range(200):
        student = core.StudentFactory(school=world.school, homeroom=world.homeroom)
        core.link_guardian(student, core.GuardianFactory(school=world.school))
    return world.school


def test_demo_makes_half_the_students_forms_in_a_spread_of_states(world, big_school):
    students = big_school.students.filter(is_active=True).count()
    made = build_demo_applications(school=big_school)
    assert made == Application.objects.filter(term=world.term).count()
    assert abs(made - students / 2) <= 1
    statuses = set(Application.objects.values_list("status", flat=True))
    expected = {Status.DRAFT, Status.SUBMITTED, Status.CLASS_APPROVED, Status.SCHOOL_APPROVED}
    assert expected <= statuses
    assert len(statuses) >= 6
    assert Application.objects.filter(participates=False).exclude(status=Status.DRAFT).exists()
    # Every answered form went through "submitted" with the guardian as the actor.
    for app in Application.objects.exclude(status=Status.DRAFT):
        first = ApplicationTransition.objects.filter(application=app).order_by("pk").first()
        assert (first.from_status, first.to_status, first.actor_role) == (
            Status.DRAFT, Status.SUBMITTED, "guardian")
    reviewed = ApplicationTransition.objects.filter(to_status=Status.CLASS_APPROVED)
    assert set(reviewed.values_list("actor_role", flat=True)) == {"homeroom_teacher"}
    # Participating forms are signed against the term's agreement.
    assert Signature.objects.count() == Application.objects.filter(participates=True).count()


def test_demo_step_is_idempotent_and_covers_both_schools(world, big_school):
    enrollment_demo({"school": big_school, "other_school": world.other_school})
    count = Application.objects.count()
    enrollment_demo({"school": big_school, "other_school": world.other_school})
    assert Application.objects.count() == count
