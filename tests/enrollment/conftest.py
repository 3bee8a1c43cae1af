"""Enrollment fixtures on top of the shared ``world``: actors, an agreement, courses."""

import pytest

from afterschool.access import actor_for
from tests.courses.factories import CourseFactory

from .factories import AgreementFactory


@pytest.fixture
def actors(world):
    """Every kind of person, as an Actor of the first school (the foreign one of its own)."""
    s = world.school
    return {
        "guardian": actor_for(world.guardian.user, s),
        "other_guardian": actor_for(world.other_guardian.user, s),
        "homeroom_teacher": actor_for(world.homeroom_teacher.user, s),
        "other_homeroom_teacher": actor_for(world.other_homeroom_teacher.user, s),
        "coordinator": actor_for(world.coordinator, s),
        "principal": actor_for(world.principal, s),
        "tutor": actor_for(world.tutor.user, s),
        "foreign_coordinator": actor_for(world.foreign_coordinator, world.other_school),
    }


@pytest.fixture
def agreement(world):
    return AgreementFactory(term=world.term, version=1)


@pytest.fixture
def courses(world):
    grade = world.homeroom.grade
    return [CourseFactory(term=world.term, name=name, category=category, grades=[grade])
            for name, category in [("篮球", "体育技能"), ("剪纸", "艺术素养"),
                                   ("机器人", "操作技巧"), ("舞狮", "体育技能")]]
