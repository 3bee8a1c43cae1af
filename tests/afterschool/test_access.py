"""Each role sees exactly its own rows, across the scoping functions and the core views."""

import pytest
from django.urls import reverse

from afterschool import access
from afterschool.models import Role

pytestmark = pytest.mark.django_db


def actor(user, school):
    return access.actor_for(user, school)


def test_roles_are_derived_from_data_and_grants(world):
    assert actor(world.guardian.user, world.school).roles == {Role.GUARDIAN}
    hr = actor(world.homeroom_teacher.user, world.school)
    assert hr.roles == {Role.TUTOR, Role.HOMEROOM_TEACHER}
    assert actor(world.external.user, world.school).roles == {Role.EXTERNAL_INSTRUCTOR}
    assert Role.COORDINATOR in actor(world.coordinator, world.school).roles
    assert Role.DUTY_TEACHER in actor(world.duty_teacher.user, world.school).roles
    assert actor(world.guardian.user, world.other_school).roles == frozenset()


def test_guardian_sees_only_own_children(world):
    seen = set(access.students_visible_to(actor(world.guardian.user, world.school)))
    assert seen == {world.child, world.sibling}


def test_homeroom_teacher_sees_only_own_homeroom(world):
    a = actor(world.homeroom_teacher.user, world.school)
    assert set(access.students_visible_to(a)) == {world.child, world.other_child}
    assert list(access.homerooms_visible_to(a)) == [world.homeroom]


def test_plain_tutor_and_duty_teacher_see_no_students_by_default(world):
    assert not access.students_visible_to(actor(world.tutor.user, world.school)).exists()
    assert not access.students_visible_to(actor(world.duty_teacher.user, world.school)).exists()


def test_coordinator_sees_whole_school_but_never_another(world):
    seen = set(access.students_visible_to(actor(world.coordinator, world.school)))
    assert {world.child, world.sibling, world.other_child} == seen
    assert world.foreign_student not in seen
    # Asking for another school's actor gives nothing: no roles there.
    assert not access.students_visible_to(actor(world.coordinator, world.other_school)).exists()


def test_district_officer_sees_schools_of_district(world):
    a = access.actor_for(world.district_officer, None)
    assert set(access.schools_visible_to(a)) == {world.school, world.other_school}
    assert not access.students_visible_to(a).exists()


@pytest.mark.parametrize("name", ["school:homeroom_list", "school:student_list",
                                  "school:staff_list"])
def test_views_require_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who,name,status", [
    ("guardian", "school:homeroom_list", 403),
    ("guardian", "school:student_list", 403),
    ("guardian", "school:staff_list", 403),
    ("tutor", "school:student_list", 403),
    ("homeroom_teacher", "school:staff_list", 403),
    ("homeroom_teacher", "school:student_list", 200),
    ("coordinator", "school:staff_list", 200),
    ("principal", "school:staff_list", 200),
])
def test_role_gates(world, login, who, name, status):
    users = {"guardian": world.guardian.user, "tutor": world.tutor.user,
             "homeroom_teacher": world.homeroom_teacher.user,
             "coordinator": world.coordinator, "principal": world.principal}
    assert login(users[who]).get(reverse(name)).status_code == status


def test_homeroom_detail_is_404_for_another_homeroom(world, login):
    client = login(world.homeroom_teacher.user)
    assert client.get(reverse("school:homeroom_detail", args=[world.homeroom.pk])).status_code == 200
    other = reverse("school:homeroom_detail", args=[world.other_homeroom.pk])
    assert client.get(other).status_code == 404
    letters = reverse("school:letters", args=[world.other_homeroom.pk])
    assert client.get(letters).status_code == 404


def test_foreign_coordinator_gets_404_on_our_homeroom(world, login):
    client = login(world.foreign_coordinator)
    url = reverse("school:homeroom_detail", args=[world.homeroom.pk])
    assert client.get(url).status_code == 404


def test_student_list_is_scoped_and_masks_phones(world, login):
    body = login(world.homeroom_teacher.user).get(reverse("school:student_list")).content.decode()
    assert world.child.name in body and world.other_child.name in body
    assert world.sibling.name not in body
    assert world.guardian.phone not in body
    assert world.guardian.phone[:3] + "****" + world.guardian.phone[-4:] in body


def test_student_list_query_count_is_flat(world, login, django_assert_max_num_queries):
    from tests import factories

    client = login(world.coordinator)
    for _ in range(40):
        s = factories.StudentFactory(school=world.school, homeroom=world.homeroom)
        factories.link_guardian(s, factories.GuardianFactory(school=world.school))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("school:student_list")).status_code == 200
