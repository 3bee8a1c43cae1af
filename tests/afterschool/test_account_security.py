"""Account takeover through rosters, activation codes and resets (issue 7), and its fences.

A roster names people by phone, and a phone may already have a login. The rule: an import
or an activation may create a login for a phone that has none, and may link a new role to an
existing login only with its owner's acceptance and without touching its credentials; a
coordinator resets only logins of their own school that rank below them; codes reach families
on paper, once, and expire; everything is recorded for the principal.
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from afterschool import access
from afterschool.exceptions import (
    ActivationFailed,
    ActivationLocked,
    CodeExpired,
    CodeUsed,
    LinkNeedsCode,
    ResetRefused,
)
from afterschool.models import AccountEvent, AccountLink, Guardian, Notice, Role, Staff, User
from afterschool.roster import STAFF, roster_import
from afterschool.services import account_link_accept

from .. import factories
from .test_roster import STAFF_HEADERS, student, table, write_xlsx

pytestmark = pytest.mark.django_db

PASSWORD = factories.DEFAULT_PASSWORD
NEW_PASSWORD = "Xin-mima-2026"
Kind = AccountEvent.Kind


# ------------------------------------------------------------------ helpers


@pytest.fixture
def victims(world):
    """Logins a coordinator must never take over: above them, or outside their school."""
    superuser = factories.UserFactory(name="系统管理员", is_superuser=True, is_staff=True)
    return {"foreign_coordinator": world.foreign_coordinator,
            "district_officer": world.district_officer,
            "superuser": superuser,
            "principal": world.principal}


def import_staff(tmp_path, school, name, phone):
    path = write_xlsx(tmp_path / "staff.xlsx",
                      [STAFF_HEADERS, [name, phone, "语文", "校内", "", "周一"]])
    result = roster_import(school=school, path_or_file=path, kind=STAFF)
    assert result.ok, result.errors
    return Staff.objects.get(school=school, phone=phone)


def import_pupil(tmp_path, school, guardian_phone, guardian_name="假家长"):
    records = [student("2024999001", "假学生", "7-1", phone=guardian_phone,
                       guardian=guardian_name)]
    path = write_xlsx(tmp_path / "pupils.xlsx", table(records))
    result = roster_import(school=school, path_or_file=path)
    assert result.ok, result.errors
    return Guardian.objects.get(school=school, phone=guardian_phone)


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def reset(client, staff, **extra):
    return client.post(reverse("school:staff_reset_password", args=[staff.pk]), **extra)


def activate(client, phone, code, password=NEW_PASSWORD, **extra):
    return client.post(reverse("activate"), {"phone": phone, "code": code,
                                             "password1": password, "password2": password},
                       **extra)


def issue(guardian, days=30):
    """As if the letter had been printed just now."""
    now = timezone.now()
    guardian.letter_printed_at = now
    guardian.activation_expires_at = now + dt.timedelta(days=days)
    guardian.save(update_fields=["letter_printed_at", "activation_expires_at"])
    return guardian


@pytest.fixture
def new_guardian(world):
    """A family of the school with no login yet, its letter printed."""
    guardian = factories.GuardianFactory(school=world.school, name="陈芳", phone="13512345678",
                                         user=None, activated_at=None)
    factories.link_guardian(world.other_child, guardian, relation="母亲", is_primary=False)
    return issue(guardian)


def roles_of(user, school):
    return access.actor_for(user, school).roles


# ------------------------------------------------------------------ path A: staff roster + reset


@pytest.mark.parametrize("who", ["foreign_coordinator", "district_officer", "superuser"])
def test_path_a_a_staff_row_with_someone_elses_phone_gives_no_password(
        tmp_path, client, login, world, victims, who):
    victim = victims[who]
    staff = import_staff(tmp_path, world.school, "冒名教师", victim.phone)

    response = reset(login(world.coordinator), staff)

    assert response.status_code == 302
    assert "临时密码" not in messages_of(response)
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)
    assert not victim.must_change_password
    staff.refresh_from_db()
    assert staff.user is None
    # The owner is told, and the request is on the record.
    link = AccountLink.objects.get(user=victim, staff=staff)
    assert link.status == AccountLink.Status.PENDING
    assert Notice.objects.filter(user=victim, school=world.school,
                                 url=reverse("school:account_links")).exists()
    event = AccountEvent.objects.get(kind=Kind.LINK_REQUESTED, target=victim)
    assert (event.actor, event.school, event.staff, event.ip_address) == (
        world.coordinator, world.school, staff, "127.0.0.1")
    assert not AccountEvent.objects.filter(kind=Kind.PASSWORD_RESET).exists()
    # And the victim's login still works with its own password.
    client.logout()
    assert client.post(reverse("login"), {"username": victim.phone,
                                          "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("who", ["foreign_coordinator", "district_officer", "superuser",
                                 "principal"])
def test_reset_is_refused_for_a_login_above_or_outside_the_school(login, world, victims, who):
    # A staff row already tied to such a login (an old link, or one its owner accepted).
    victim = victims[who]
    staff = (Staff.objects.filter(school=world.school, user=victim).first()
             or factories.StaffFactory(school=world.school, name="兼任", phone=victim.phone,
                                       user=victim))

    response = reset(login(world.coordinator), staff)

    assert response.status_code == 302
    assert ResetRefused.message in messages_of(response)
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD) and not victim.must_change_password
    assert not AccountEvent.objects.filter(kind=Kind.PASSWORD_RESET).exists()


def test_reset_is_refused_for_a_fellow_coordinator_and_for_oneself(login, world):
    fellow = factories.StaffFactory(school=world.school, name="另一位主任")
    factories.grant(fellow.user, Role.COORDINATOR, world.school)
    own = Staff.objects.get(user=world.coordinator)
    client = login(world.coordinator)
    assert ResetRefused.message in messages_of(reset(client, fellow))
    assert "修改密码" in messages_of(reset(client, own))
    fellow.user.refresh_from_db()
    world.coordinator.refresh_from_db()
    assert fellow.user.check_password(PASSWORD) and world.coordinator.check_password(PASSWORD)


def test_reset_is_refused_for_a_teacher_who_is_also_a_parent_in_another_school(login, world):
    factories.GuardianFactory(school=world.other_school, phone=world.tutor.phone,
                              user=world.tutor.user)
    response = reset(login(world.coordinator), world.tutor)
    assert ResetRefused.message in messages_of(response)
    world.tutor.user.refresh_from_db()
    assert world.tutor.user.check_password(PASSWORD)


def test_reset_of_an_own_teacher_is_recorded_and_must_be_changed_at_next_login(
        client, login, world):
    response = reset(login(world.coordinator), world.tutor, REMOTE_ADDR="10.2.3.4")
    temporary = re.search(r"新的临时密码：(\w+)", messages_of(response)).group(1)
    event = AccountEvent.objects.get(kind=Kind.PASSWORD_RESET)
    assert (event.actor, event.target, event.school, event.ip_address) == (
        world.coordinator, world.tutor.user, world.school, "10.2.3.4")
    assert event.at <= timezone.now()

    client.logout()
    assert client.post(reverse("login"), {"username": world.tutor.phone,
                                          "password": temporary}).status_code == 302
    # Every page leads to "change your password" until it is changed, the admin included.
    for url in (reverse("school:home"), reverse("school:student_list"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "临时密码" in page.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": temporary, "new_password1": "Zi-ji-de-2026",
        "new_password2": "Zi-ji-de-2026"})
    assert response.status_code == 302
    world.tutor.user.refresh_from_db()
    assert not world.tutor.user.must_change_password
    assert client.get(reverse("school:home")).status_code == 200


def test_a_new_staff_phone_gets_a_new_login_and_both_steps_are_recorded(login, world):
    staff = factories.StaffFactory(school=world.school, name="新老师", phone="13711112222", user=None)
    response = reset(login(world.coordinator), staff)
    assert "新的临时密码" in messages_of(response)
    staff.refresh_from_db()
    assert staff.user.phone == "13711112222"
    kinds = set(AccountEvent.objects.filter(target=staff.user).values_list("kind", flat=True))
    assert kinds == {Kind.LOGIN_CREATED, Kind.PASSWORD_RESET}


# ------------------------------------------------------------------ links: no access until accepted


def test_an_unaccepted_staff_link_gives_no_access(tmp_path, client, login, world):
    victim = world.foreign_coordinator
    staff = import_staff(tmp_path, world.school, "冒名教师", victim.phone)
    reset(login(world.coordinator), staff)

    assert world.school not in access.schools_of(victim)
    assert roles_of(victim, world.school) == frozenset()
    client = login(victim)
    response = client.post(reverse("school:switch_school"), {"school": world.school.pk})
    assert response.status_code == 404
    home = client.get(reverse("school:home"))
    assert home.context["current_school"] == world.other_school
    assert home.context["pending_links"] == 1


def test_accepting_a_staff_link_gives_the_role_and_is_recorded(login, world):
    person = factories.UserFactory(name="刘老师")
    staff = factories.StaffFactory(school=world.school, name="刘老师", phone=person.phone, user=None)
    reset(login(world.coordinator), staff)
    link = AccountLink.objects.get(user=person)

    client = login(person)
    page = client.get(reverse("school:account_links"))
    assert world.school.name in page.content.decode() and "刘老师" in page.content.decode()
    response = client.post(reverse("school:account_links"),
                           {"action": "accept", "link": link.pk}, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.user == person
    assert Role.TUTOR in roles_of(person, world.school)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # untouched
    event = AccountEvent.objects.get(kind=Kind.LINK_ACCEPTED)
    assert (event.actor, event.target, event.staff, event.ip_address) == (
        person, person, staff, "10.0.0.7")


def test_refusing_a_link_leaves_the_row_without_a_login(login, world):
    victim = world.foreign_coordinator
    staff = factories.StaffFactory(school=world.school, name="冒名", phone=victim.phone, user=None)
    reset(login(world.coordinator), staff)
    link = AccountLink.objects.get(user=victim)
    client = login(victim)
    client.post(reverse("school:account_links"), {"action": "refuse", "link": link.pk})
    link.refresh_from_db()
    staff.refresh_from_db()
    assert link.status == AccountLink.Status.REFUSED and staff.user is None
    assert AccountEvent.objects.filter(kind=Kind.LINK_REFUSED, target=victim).exists()
    # Nobody else can decide someone's link.
    other = AccountLink.objects.create(user=victim, school=world.school, staff=staff)
    response = login(world.coordinator).post(reverse("school:account_links"),
                                             {"action": "accept", "link": other.pk})
    assert response.status_code == 404


# ------------------------------------------------------------------ path B: guardian activation


@pytest.mark.parametrize("who", ["foreign_coordinator", "district_officer", "superuser"])
def test_path_b_activation_never_sets_an_existing_logins_password(
        tmp_path, client, world, victims, who):
    victim = victims[who]
    guardian = issue(import_pupil(tmp_path, world.school, victim.phone))

    response = activate(client, victim.phone, guardian.activation_code)

    assert response.status_code == 302
    assert "密码没有改变" in messages_of(response)
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)
    assert not victim.check_password(NEW_PASSWORD)
    guardian.refresh_from_db()
    assert guardian.user is None and guardian.activation_used_at is None
    assert Role.GUARDIAN not in roles_of(victim, world.school)
    link = AccountLink.objects.get(user=victim, guardian=guardian)
    assert link.status == AccountLink.Status.PENDING
    assert Notice.objects.filter(user=victim).exists()
    assert AccountEvent.objects.filter(kind=Kind.LINK_REQUESTED, target=victim,
                                       guardian=guardian).exists()


def test_a_guardian_link_is_accepted_only_with_the_letters_code(tmp_path, login, world):
    # A real parent with a login already (a teacher of another school, say).
    parent = world.foreign_coordinator
    guardian = issue(import_pupil(tmp_path, world.school, parent.phone, "张妈妈"))
    activate(Client(), parent.phone, guardian.activation_code)
    link = AccountLink.objects.get(user=parent, guardian=guardian)
    with pytest.raises(LinkNeedsCode):
        account_link_accept(user=parent, link=link)

    client = login(parent)
    wrong = client.post(reverse("school:account_links"), {"action": "code", "code": "WRONGCOD"})
    assert ActivationFailed.message in messages_of(wrong)
    client.post(reverse("school:account_links"),
                {"action": "code", "code": guardian.activation_code.lower()})
    guardian.refresh_from_db()
    link.refresh_from_db()
    assert guardian.user == parent and guardian.activation_used_at is not None
    assert link.status == AccountLink.Status.ACCEPTED
    assert Role.GUARDIAN in roles_of(parent, world.school)
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


def test_a_new_phone_activates_and_the_code_is_then_used_up(client, world, new_guardian):
    response = activate(client, new_guardian.phone, new_guardian.activation_code,
                        REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    new_guardian.refresh_from_db()
    user = new_guardian.user
    assert user.check_password(NEW_PASSWORD) and new_guardian.activation_used_at
    event = AccountEvent.objects.get(kind=Kind.ACTIVATION)
    assert (event.target, event.guardian, event.ip_address, event.actor) == (
        user, new_guardian, "10.9.8.7", None)

    # Single use: even with the login gone, the same code opens nothing again.
    user.delete()
    response = activate(client, new_guardian.phone, new_guardian.activation_code)
    assert CodeUsed.message in response.content.decode()
    assert not User.objects.filter(phone=new_guardian.phone).exists()


def test_an_expired_or_unprinted_code_is_refused(client, world, new_guardian):
    new_guardian.activation_expires_at = timezone.now() - dt.timedelta(minutes=1)
    new_guardian.save()
    response = activate(client, new_guardian.phone, new_guardian.activation_code)
    assert CodeExpired.message in response.content.decode()

    unprinted = factories.GuardianFactory(school=world.school, phone="13512340000", user=None,
                                          activated_at=None)
    response = activate(client, unprinted.phone, unprinted.activation_code)
    assert CodeExpired.message in response.content.decode()
    assert not User.objects.filter(phone__in=[new_guardian.phone, unprinted.phone]).exists()


# ------------------------------------------------------------------ letters and codes


def test_the_homeroom_teacher_never_sees_codes_on_screen(login, world, new_guardian):
    client = login(world.homeroom_teacher.user)
    codes = [world.guardian.activation_code, world.other_guardian.activation_code,
             new_guardian.activation_code]
    for url in (reverse("school:letters", args=[world.homeroom.pk]),
                reverse("school:homeroom_detail", args=[world.homeroom.pk])):
        page = client.get(url).content.decode()
        assert not any(code in page for code in codes), url


def test_printing_shows_each_code_once_starts_its_validity_and_is_recorded(login, world):
    world.term.activation_valid_days = 10
    world.term.save()
    waiting = factories.GuardianFactory(school=world.school, name="未激活家长", phone="13512340001",
                                        user=None, activated_at=None)
    pupil = factories.StudentFactory(school=world.school, homeroom=world.homeroom, name="小明")
    factories.link_guardian(pupil, waiting)
    client = login(world.homeroom_teacher.user)
    url = reverse("school:letters", args=[world.homeroom.pk])

    printed = client.post(url, REMOTE_ADDR="10.1.1.1")
    assert printed.status_code == 200 and printed["Cache-Control"] == "no-store"
    page = printed.content.decode()
    assert waiting.activation_code in page
    # A family that already has its login gets no code.
    assert world.guardian.activation_code not in page
    waiting.refresh_from_db()
    assert waiting.letter_printed_at is not None
    assert waiting.activation_expires_at - waiting.letter_printed_at == dt.timedelta(days=10)
    event = AccountEvent.objects.get(kind=Kind.LETTER_PRINTED, guardian=waiting)
    assert (event.actor, event.school, event.ip_address) == (
        world.homeroom_teacher.user, world.school, "10.1.1.1")

    again = client.post(url)
    assert again.status_code == 302
    assert waiting.activation_code not in client.get(url).content.decode()
    assert AccountEvent.objects.filter(kind=Kind.LETTER_PRINTED).count() == 1


def test_another_homeroom_teacher_cannot_print(login, world):
    url = reverse("school:letters", args=[world.homeroom.pk])
    assert login(world.other_homeroom_teacher.user).post(url).status_code == 404
    assert login(world.tutor.user).post(url).status_code == 403


def test_reissuing_voids_the_old_code_and_is_recorded(client, login, world, new_guardian):
    old = new_guardian.activation_code
    letters = reverse("school:letters", args=[world.homeroom.pk])
    response = login(world.coordinator).post(
        reverse("school:guardian_reset_activation", args=[new_guardian.pk]),
        {"next": letters}, REMOTE_ADDR="10.5.5.5")
    assert response.status_code == 302 and response["Location"] == letters
    new_guardian.refresh_from_db()
    assert new_guardian.activation_code != old
    assert new_guardian.letter_printed_at is None  # the new code waits for its letter
    event = AccountEvent.objects.get(kind=Kind.CODE_REISSUED)
    assert (event.actor, event.guardian, event.ip_address) == (
        world.coordinator, new_guardian, "10.5.5.5")

    client.logout()
    assert ActivationFailed.message in activate(client, new_guardian.phone, old).content.decode()
    issue(new_guardian)
    assert activate(client, new_guardian.phone, new_guardian.activation_code).status_code == 302


def test_a_reissued_code_resets_a_forgotten_password_only_within_the_school(
        client, login, world, victims):
    # A parent of the school who forgot their password: allowed, and the new code sets it.
    guardian = world.other_guardian
    coordinator = login(world.coordinator)
    coordinator.post(reverse("school:guardian_reset_activation", args=[guardian.pk]))
    guardian.refresh_from_db()
    assert not guardian.user.has_usable_password()
    issue(guardian)
    client.logout()
    assert activate(client, guardian.phone, guardian.activation_code).status_code == 302
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(NEW_PASSWORD)

    # A guardian row tied to the district officer's login (an old link): refused, untouched.
    officer = victims["district_officer"]
    tied = factories.GuardianFactory(school=world.school, phone=officer.phone, user=officer)
    factories.link_guardian(world.child, tied, relation="父亲", is_primary=False)
    response = login(world.coordinator).post(
        reverse("school:guardian_reset_activation", args=[tied.pk]))
    assert ResetRefused.message in messages_of(response)
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


# ------------------------------------------------------------------ the signature


def test_a_signature_records_the_login_the_guardian_and_the_activation(client, world,
                                                                     new_guardian):
    from enrollment import services as enrollment_services
    from tests.enrollment.factories import AgreementFactory, ApplicationFactory

    AgreementFactory(term=world.term, version=1)
    activate(client, new_guardian.phone, new_guardian.activation_code)
    new_guardian.refresh_from_db()
    activation = AccountEvent.objects.get(kind=Kind.ACTIVATION, guardian=new_guardian)
    application = ApplicationFactory(student=world.other_child, term=world.term)

    signature = enrollment_services.application_sign(
        application=application, actor=access.actor_for(new_guardian.user, world.school),
        signed_name="陈芳", ip_address="10.3.3.3")

    assert (signature.signed_by, signature.guardian, signature.activation) == (
        new_guardian.user, new_guardian, activation)
    assert signature.activation.detail == "凭家长信激活码新建账号"


def test_a_signature_through_a_reissued_code_names_that_activation(client, login, world):
    from enrollment import services as enrollment_services
    from tests.enrollment.factories import AgreementFactory, ApplicationFactory

    AgreementFactory(term=world.term, version=1)
    guardian = world.guardian
    login(world.coordinator).post(reverse("school:guardian_reset_activation", args=[guardian.pk]))
    guardian.refresh_from_db()
    issue(guardian)
    client.logout()
    activate(client, guardian.phone, guardian.activation_code, REMOTE_ADDR="10.4.4.4")
    application = ApplicationFactory(student=world.child, term=world.term)
    signature = enrollment_services.application_sign(
        application=application, actor=access.actor_for(guardian.user, world.school),
        signed_name=guardian.name)
    assert signature.activation.detail == "凭重新发放的激活码设置密码"
    assert signature.activation.ip_address == "10.4.4.4"
    reissue = AccountEvent.objects.get(kind=Kind.CODE_REISSUED, guardian=guardian)
    assert reissue.actor == world.coordinator  # who could have held that code


# ------------------------------------------------------------------ rate limit on /activate/


def test_activation_is_locked_per_phone_after_repeated_wrong_codes(client, new_guardian):
    for _ in range(5):
        response = activate(client, new_guardian.phone, "WRONGCOD")
        assert ActivationFailed.message in response.content.decode()
    response = activate(client, new_guardian.phone, new_guardian.activation_code)
    assert ActivationLocked.message in response.content.decode()
    new_guardian.refresh_from_db()
    assert new_guardian.user is None


def test_activation_is_locked_per_address_across_phones(client, world, new_guardian):
    for n in range(20):
        activate(client, f"1351111{n:04d}", "WRONGCOD", REMOTE_ADDR="10.6.6.6")
    response = activate(client, new_guardian.phone, new_guardian.activation_code,
                        REMOTE_ADDR="10.6.6.6")
    assert ActivationLocked.message in response.content.decode()
    # Another address (another family) is not held up.
    response = activate(client, new_guardian.phone, new_guardian.activation_code,
                        REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 302


def test_old_failures_fall_out_of_the_window(client, new_guardian):
    for _ in range(5):
        activate(client, new_guardian.phone, "WRONGCOD")
    from afterschool.models import ActivationFailure

    ActivationFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assert activate(client, new_guardian.phone, new_guardian.activation_code).status_code == 302


# ------------------------------------------------------------------ the record for the principal


def test_the_principal_reads_the_schools_account_record(login, world):
    reset(login(world.coordinator), world.external)
    AccountEvent.objects.create(kind=Kind.PASSWORD_RESET, school=world.other_school,
                                detail="外校的记录")
    response = login(world.principal).get(reverse("school:account_events"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "重置密码" in page and world.external.name in page and "外校的记录" not in page
    assert login(world.tutor.user).get(reverse("school:account_events")).status_code == 403
    assert login(world.guardian.user).get(reverse("school:account_events")).status_code == 403


def test_the_account_record_page_does_not_query_per_row(login, world,
                                                        django_assert_max_num_queries):
    for _ in range(30):
        AccountEvent.objects.create(kind=Kind.PASSWORD_RESET, school=world.school,
                                    actor=world.coordinator, target=world.tutor.user,
                                    staff=world.tutor)
    client = login(world.principal)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("school:account_events")).status_code == 200


# ------------------------------------------------------------------ bad parameters, redirects


@pytest.mark.parametrize("value", ["abc", "", "-1", "99999999999999999999999"])
def test_switch_school_with_a_bad_id_is_404_not_500(login, world, value):
    client = login(world.guardian.user)
    client.raise_request_exception = False
    assert client.post(reverse("school:switch_school"), {"school": value}).status_code == 404


def test_notice_read_with_bad_ids_and_next(login, world):
    client = login(world.guardian.user)
    client.raise_request_exception = False
    notice = Notice.objects.create(user=world.guardian.user, school=world.school, title="通知")
    url = reverse("school:notice_read")
    response = client.post(url, {"notice": ["abc", str(notice.pk)], "next": "abc"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "http://evil.example/x"])
def test_notice_read_does_not_redirect_off_site(login, world, target):
    response = login(world.guardian.user).post(reverse("school:notice_read"), {"next": target})
    assert response["Location"] == reverse("school:home")


@pytest.mark.parametrize("target", ["abc", "https://evil.example/", "//evil.example/"])
def test_reset_activation_with_a_bad_or_off_site_next(login, world, new_guardian, target):
    client = login(world.coordinator)
    client.raise_request_exception = False
    response = client.post(reverse("school:guardian_reset_activation", args=[new_guardian.pk]),
                           {"next": target})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
