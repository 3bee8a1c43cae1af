"""Fixtures shared by every app: a school with one person of each role, and service checks."""

import os
from dataclasses import dataclass

import pytest

from afterschool.models import Role

from . import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip a test whose service is missing, except under CI=true where it must fail."""
    if available:
        return
    message = f"{name} 不可用{('：' + why) if why else ''}"
    if IN_CI:
        pytest.fail(f"CI=true 但 {message}")
    pytest.skip(message)


@dataclass
class World:
    """Two schools; in the first, one person per role and two homerooms of two families."""

    school: object
    other_school: object
    term: object
    homeroom: object
    other_homeroom: object
    child: object          # in homeroom, child of guardian
    sibling: object        # also guardian's child, in other_homeroom
    other_child: object    # homeroom, another family
    guardian: object
    other_guardian: object
    homeroom_teacher: object  # Staff of homeroom
    other_homeroom_teacher: object
    tutor: object
    external: object
    coordinator: object    # User
    principal: object      # User
    duty_teacher: object   # Staff
    district_officer: object  # User
    foreign_student: object   # in other_school
    foreign_coordinator: object


@pytest.fixture
def world(db):
    school = factories.SchoolFactory(name="莒县第四实验小学", code="jx4")
    other_school = factories.SchoolFactory(name="莒县第五实验小学", code="jx5")
    term = factories.TermFactory(school=school)
    grade = factories.GradeFactory(school=school, number=7)
    homeroom = factories.HomeroomFactory(school=school, grade=grade, number=1)
    other_homeroom = factories.HomeroomFactory(school=school, grade=grade, number=2)
    guardian = factories.GuardianFactory(school=school, name="王丽")
    other_guardian = factories.GuardianFactory(school=school, name="李强")
    child = factories.StudentFactory(school=school, homeroom=homeroom, name="张小明")
    sibling = factories.StudentFactory(school=school, homeroom=other_homeroom, name="张小红")
    other_child = factories.StudentFactory(school=school, homeroom=homeroom, name="李华")
    factories.link_guardian(child, guardian)
    factories.link_guardian(sibling, guardian)
    factories.link_guardian(other_child, other_guardian, relation="父亲")
    tutor = factories.StaffFactory(school=school, name="赵老师", subjects="美术")
    external = factories.StaffFactory(school=school, name="钱教练", is_external=True, subjects="篮球")
    coordinator_staff = factories.StaffFactory(school=school, name="孙主任")
    factories.grant(coordinator_staff.user, Role.COORDINATOR, school, title="副组长")
    principal_staff = factories.StaffFactory(school=school, name="周校长")
    factories.grant(principal_staff.user, Role.PRINCIPAL, school, title="组长")
    duty = factories.StaffFactory(school=school, name="吴老师")
    factories.grant(duty.user, Role.DUTY_TEACHER, school)
    officer = factories.UserFactory(name="郑科长")
    factories.grant(officer, Role.DISTRICT_OFFICER, None, district=school.district)
    foreign_homeroom = factories.HomeroomFactory(school=other_school, number=1)
    foreign_student = factories.StudentFactory(school=other_school, homeroom=foreign_homeroom)
    foreign_coord = factories.StaffFactory(school=other_school, name="外校主任")
    factories.grant(foreign_coord.user, Role.COORDINATOR, other_school)
    for student, family in ((child, guardian), (sibling, guardian),
                            (other_child, other_guardian), (foreign_student, None)):
        factories.privacy_consent(student, guardian=family)
    return World(
        school=school, other_school=other_school, term=term, homeroom=homeroom,
        other_homeroom=other_homeroom, child=child, sibling=sibling, other_child=other_child,
        guardian=guardian, other_guardian=other_guardian,
        homeroom_teacher=homeroom.head_teacher, other_homeroom_teacher=other_homeroom.head_teacher,
        tutor=tutor, external=external, coordinator=coordinator_staff.user,
        principal=principal_staff.user, duty_teacher=duty, district_officer=officer,
        foreign_student=foreign_student, foreign_coordinator=foreign_coord.user,
    )


@pytest.fixture
def login(client):
    """login(user) signs the test client in (bypassing the rate limiter) and returns it."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login
