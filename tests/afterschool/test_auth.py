"""Signing in and out: phone login, rate limiting, guardian activation, passwords, schools."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from afterschool.exceptions import ActivationFailed, AlreadyActivated
from afterschool.forms import PhoneLoginForm
from afterschool.models import Guardian, Role

from .. import factories

pytestmark = pytest.mark.django_db

PASSWORD = factories.DEFAULT_PASSWORD


def post_login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in_as(client):
    """The phone of the person the client is signed in as, or None."""
    response = client.get(reverse("school:home"))
    if response.status_code != 200:
        return None
    return response.context["user"].phone


# ------------------------------------------------------------------ phone + password


def test_login_by_phone_and_password_lands_on_home(client, world):
    phone = world.guardian.phone
    response = post_login(client, phone)
    assert response.status_code == 302
    assert response["Location"] == reverse("school:home")
    assert signed_in_as(client) == phone


@pytest.mark.parametrize("typed", ["{a} {b} {c}", "+86 {a}-{b}-{c}", "＋８６{a}{b}{c}",
                                   " {a}{b}{c} "])
def test_phone_typed_with_spaces_prefix_or_fullwidth_still_signs_in(client, world, typed):
    phone = world.guardian.phone
    raw = typed.format(a=phone[:3], b=phone[3:7], c=phone[7:])
    if "８" in raw:
        raw = raw.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = post_login(client, raw)
    assert response.status_code == 302, raw
    assert signed_in_as(client) == phone


def test_wrong_password_shows_the_chinese_error(client, world):
    response = post_login(client, world.guardian.phone, "not-the-password")
    assert response.status_code == 200
    assert PhoneLoginForm.error_messages["invalid_login"] in response.content.decode()
    assert signed_in_as(client) is None


def test_login_page_redirects_a_signed_in_person_home(client, world):
    post_login(client, world.guardian.phone)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("school:home")


# ------------------------------------------------------------------ rate limiting


def test_too_many_failures_lock_the_phone_even_with_the_right_password(client, world):
    phone = world.guardian.phone
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = post_login(client, phone, "wrong-password")
        assert response.status_code == 200
        assert "registration/locked.html" not in [t.name for t in response.templates]
    response = post_login(client, phone, "wrong-password")
    assert "registration/locked.html" in [t.name for t in response.templates]

    response = post_login(client, phone)  # the right password, now refused
    assert response.status_code != 302
    assert "registration/locked.html" in [t.name for t in response.templates]
    assert "登录失败次数过多" in response.content.decode()
    assert signed_in_as(client) is None


def test_lockout_is_per_phone_number(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, world.guardian.phone, "wrong-password")
    response = post_login(client, world.other_guardian.phone)
    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, world):
    phone = world.guardian.phone
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, phone, "wrong-password")
    assert post_login(client, phone).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, phone, "wrong-password")
    assert post_login(client, phone).status_code == 302


# ------------------------------------------------------------------ guardian activation


@pytest.fixture
def new_guardian(world):
    """A guardian the school registered who has never signed in: no login yet.

    Their letter home has been printed, so the code on it is valid (for 30 days, once).
    """
    now = timezone.now()
    guardian = factories.GuardianFactory(school=world.school, name="陈芳", phone="13512345678",
                                         user=None, activated_at=None, letter_printed_at=now,
                                         activation_expires_at=now + dt.timedelta(days=30))
    factories.link_guardian(world.other_child, guardian)
    return guardian


def activate(client, phone, code, password="Xin-mima-2026"):
    return client.post(reverse("activate"), {"phone": phone, "code": code,
                                             "password1": password, "password2": password})


def test_activation_page_is_open_to_everyone(client):
    response = client.get(reverse("activate"))
    assert response.status_code == 200
    assert "激活码" in response.content.decode()


def test_wrong_activation_code_is_refused_in_chinese(client, new_guardian):
    response = activate(client, new_guardian.phone, "WRONGCOD")
    assert response.status_code == 200
    assert ActivationFailed.message in response.content.decode()
    new_guardian.refresh_from_db()
    assert new_guardian.user is None and new_guardian.activated_at is None


def test_right_code_activates_then_the_new_password_signs_in(client, new_guardian):
    # Typed the way people type: spaces in the phone, the code in lower case.
    response = activate(client, "135 1234 5678", new_guardian.activation_code.lower())
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    new_guardian.refresh_from_db()
    assert new_guardian.user is not None and new_guardian.activated_at is not None

    assert post_login(client, new_guardian.phone, "Xin-mima-2026").status_code == 302
    home = client.get(reverse("school:home"))
    assert Role.GUARDIAN in home.context["actor"].roles


def test_activating_twice_says_already_activated(client, new_guardian):
    assert activate(client, new_guardian.phone, new_guardian.activation_code).status_code == 302
    response = activate(client, new_guardian.phone, new_guardian.activation_code,
                        "Another-2026")
    assert response.status_code == 200
    assert AlreadyActivated.message in response.content.decode()
    # The first password still stands.
    assert post_login(client, new_guardian.phone, "Xin-mima-2026").status_code == 302


def test_activation_checks_the_password_rules(client, new_guardian):
    response = activate(client, new_guardian.phone, new_guardian.activation_code, "12345678")
    assert response.status_code == 200
    assert Guardian.objects.get(pk=new_guardian.pk).user is None


# ------------------------------------------------------------------ passwords


def test_password_change(client, world):
    phone = world.guardian.phone
    post_login(client, phone)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Gai-guo-2026",
        "new_password2": "Gai-guo-2026"})
    assert response.status_code == 302
    assert response["Location"] == reverse("school:home")
    assert "密码已修改。" in [str(m) for m in get_messages(response.wsgi_request)]
    assert signed_in_as(client) == phone  # still signed in after the change
    client.post(reverse("logout"))
    assert post_login(client, phone, PASSWORD).status_code == 200
    assert post_login(client, phone, "Gai-guo-2026").status_code == 302


def test_password_change_requires_the_old_password(client, world):
    post_login(client, world.guardian.phone)
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "Gai-guo-2026",
        "new_password2": "Gai-guo-2026"})
    assert response.status_code == 200
    world.guardian.user.refresh_from_db()
    assert world.guardian.user.check_password(PASSWORD)


def test_password_change_requires_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_coordinator_resets_a_staff_password(client, login, world):
    url = reverse("school:staff_reset_password", args=[world.tutor.pk])
    response = login(world.coordinator).post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("school:staff_list")
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    temporary = re.search(r"新的临时密码：(\w+)", message).group(1)
    client.logout()
    assert post_login(client, world.tutor.phone, PASSWORD).status_code == 200
    assert post_login(client, world.tutor.phone, temporary).status_code == 302


def test_reset_creates_the_login_of_a_staff_member_who_had_none(login, world):
    staff = factories.StaffFactory(school=world.school, name="新老师", user=None)
    response = login(world.coordinator).post(
        reverse("school:staff_reset_password", args=[staff.pk]))
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.user is not None and staff.user.phone == staff.phone


@pytest.mark.parametrize("who", ["principal", "tutor", "guardian", "homeroom_teacher"])
def test_only_the_coordinator_may_reset_passwords(login, world, who):
    users = {"principal": world.principal, "tutor": world.tutor.user,
             "guardian": world.guardian.user, "homeroom_teacher": world.homeroom_teacher.user}
    url = reverse("school:staff_reset_password", args=[world.external.pk])
    assert login(users[who]).post(url).status_code == 403
    world.external.user.refresh_from_db()
    assert world.external.user.check_password(PASSWORD)


def test_coordinator_cannot_reset_another_schools_staff(login, world):
    foreign = factories.StaffFactory(school=world.other_school, name="外校老师")
    url = reverse("school:staff_reset_password", args=[foreign.pk])
    assert login(world.coordinator).post(url).status_code == 404


def test_reset_is_post_only(login, world):
    url = reverse("school:staff_reset_password", args=[world.tutor.pk])
    assert login(world.coordinator).get(url).status_code == 405


# ------------------------------------------------------------------ schools and logout


def test_a_person_in_two_schools_switches_between_them(client, world):
    # The same phone is a guardian in the second school too: one login for both.
    guardian_there = factories.GuardianFactory(school=world.other_school, name=world.guardian.name,
                                               phone=world.guardian.phone, user=world.guardian.user)
    factories.link_guardian(world.foreign_student, guardian_there)
    post_login(client, world.guardian.phone)
    home = client.get(reverse("school:home"))
    assert "切换" in home.content.decode()
    first = home.context["current_school"]
    assert first in (world.school, world.other_school)
    second = world.other_school if first == world.school else world.school

    for target in (second, first):
        response = client.post(reverse("school:switch_school"), {"school": target.pk})
        assert response.status_code == 302
        home = client.get(reverse("school:home"))
        assert home.context["current_school"] == target
        assert target.name in home.content.decode()


def test_switching_to_a_school_one_has_no_role_in_is_404(client, world):
    post_login(client, world.guardian.phone)
    response = client.post(reverse("school:switch_school"), {"school": world.other_school.pk})
    assert response.status_code == 404
    assert client.get(reverse("school:home")).context["current_school"] == world.school


def test_logout_is_by_post(client, world):
    post_login(client, world.guardian.phone)
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in_as(client) == world.guardian.phone
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_as(client) is None
