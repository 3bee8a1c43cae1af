"""Offboarding (issue 15): the office deactivates a member of staff or removes one role,
effective at the person's next request; a teacher who is also a parent keeps the login with the
guardian role only; each step an AccountEvent on 账号记录."""

from __future__ import annotations

import pytest
from django.urls import reverse

from afterschool import exceptions as errors
from afterschool.access import actor_for
from afterschool.models import AccountEvent, Homeroom, Role, RoleAssignment, Staff
from tests import factories as f
from tests.arrangement.test_safety_rosters import _section_of, published  # noqa: F401

pytestmark = pytest.mark.django_db


def _url(staff):
    return reverse("school:staff_offboard", args=[staff.pk])


def test_the_page_gates(world, login, client):
    url = _url(world.tutor)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (world.principal, world.tutor.user, world.guardian.user, world.duty_teacher.user):
        assert login(user).get(url).status_code == 403, user
        assert login(user).post(url, {"action": "deactivate"}).status_code == 403, user
    office = login(world.coordinator)
    assert office.get(url).status_code == 200
    foreign = Staff.objects.get(user=world.foreign_coordinator)
    assert office.get(_url(foreign)).status_code == 404
    assert office.post(_url(foreign), {"action": "deactivate"}).status_code == 404
    assert Staff.objects.get(pk=foreign.pk).is_active


def test_a_deactivated_tutor_loses_the_roster_at_the_next_request(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    roster = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    from django.test import Client

    tutor = Client()
    tutor.force_login(world.tutor.user, backend="django.contrib.auth.backends.ModelBackend")
    assert tutor.get(roster).status_code == 200
    office = login(world.coordinator)
    response = office.post(_url(world.tutor), {"action": "deactivate", "reason": "调离本校"})
    assert response.status_code == 302
    world.tutor.refresh_from_db()
    world.tutor.user.refresh_from_db()
    assert not world.tutor.is_active
    assert not world.tutor.user.is_active  # no other role anywhere: the login is closed
    # The same session, the very next request: signed out, so the roster is not shown.
    response = tutor.get(roster)
    assert response.status_code == 302 and "/login/" in response["Location"]
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.STAFF_DEACTIVATED)
    assert (event.school, event.actor, event.target, event.staff) == (
        world.school, world.coordinator, world.tutor.user, world.tutor)
    assert "调离本校" in event.detail and "登录账号已停用" in event.detail
    events = office.get(reverse("school:account_events")).content.decode()
    assert "教职工停用（离职）" in events and "调离本校" in events
    # Twice: refused with the reason, nothing more written.
    office.post(_url(world.tutor), {"action": "deactivate"})
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.STAFF_DEACTIVATED).count() == 1


def test_a_teacher_who_is_a_parent_keeps_the_guardian_pages_only(world, login):
    # The homeroom teacher is also the mother of a child of this school.
    teacher = world.homeroom_teacher
    mother = f.GuardianFactory(school=world.school, user=teacher.user, phone=teacher.phone)
    kid = f.StudentFactory(school=world.school, homeroom=world.other_homeroom, name="陈小乐")
    f.link_guardian(kid, mother)
    f.grant(teacher.user, Role.DUTY_TEACHER, world.school)
    client = login(teacher.user)
    assert client.get(reverse("school:student_list")).status_code == 200
    login(world.coordinator).post(_url(teacher), {"action": "deactivate"})
    teacher.user.refresh_from_db()
    assert teacher.user.is_active
    assert actor_for(teacher.user, world.school).roles == {Role.GUARDIAN}
    assert not RoleAssignment.objects.filter(user=teacher.user).exists()
    assert not Homeroom.objects.filter(head_teacher=teacher).exists()
    client = login(teacher.user)
    assert client.get(reverse("school:student_list")).status_code == 403
    assert client.get(reverse("enrollment:my")).status_code == 200
    assert client.get(reverse("school:child_access", args=[kid.pk])).status_code == 200
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.STAFF_DEACTIVATED)
    assert "登录账号保留" in event.detail and "值日教师" in event.detail


def test_removing_one_role_keeps_the_others(world, login):
    duty = world.duty_teacher
    office = login(world.coordinator)
    response = office.post(_url(duty), {"action": "remove_role", "role": Role.DUTY_TEACHER,
                                        "reason": "本学期不再值日"})
    assert response.status_code == 302
    assert actor_for(duty.user, world.school).roles == {Role.TUTOR}
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.ROLE_REMOVED)
    assert "值日教师" in event.detail and "本学期不再值日" in event.detail
    # Not held any more: refused with a clear message, nothing written.
    page = office.post(_url(duty), {"action": "remove_role", "role": Role.DUTY_TEACHER},
                       follow=True).content.decode()
    assert errors.OFFBOARD_ROLE_NOT_HELD.format(name=duty.name, role="值日教师") in page
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.ROLE_REMOVED).count() == 1

    teacher = world.homeroom_teacher
    client = login(teacher.user)
    assert client.get(reverse("school:student_list")).status_code == 200
    page = login(world.coordinator).post(_url(teacher), {
        "action": "remove_role", "role": Role.HOMEROOM_TEACHER}, follow=True).content.decode()
    assert f"已移除{teacher.name}的“班主任”角色" in page
    assert login(teacher.user).get(reverse("school:student_list")).status_code == 403
    world.homeroom.refresh_from_db()
    assert world.homeroom.head_teacher is None
    assert Staff.objects.get(pk=teacher.pk).is_active  # still a tutor


def test_what_the_office_may_not_do(world, login):
    office = login(world.coordinator)
    me = Staff.objects.get(user=world.coordinator)
    page = office.post(_url(me), {"action": "deactivate"}, follow=True).content.decode()
    assert errors.OFFBOARD_SELF in page
    assert Staff.objects.get(pk=me.pk).is_active
    principal = Staff.objects.get(user=world.principal)
    office.post(_url(principal), {"action": "remove_role", "role": Role.PRINCIPAL})
    assert RoleAssignment.objects.filter(user=world.principal, role=Role.PRINCIPAL).exists()
    office.post(_url(world.tutor), {"action": "remove_role", "role": "nonsense"})
    assert not AccountEvent.objects.exists()
