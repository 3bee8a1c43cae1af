"""Writes of the core: each a function with keyword-only arguments and an explicit actor."""

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import exceptions as errors
from .access import Actor, login_is_within, may_reset_password, require
from .exceptions import (
    ActivationFailed,
    ActivationLocked,
    AlreadyActivated,
    CodeExpired,
    CodeUsed,
    LinkClosed,
    LinkNeedsCode,
    OffboardingRefused,
    ResetOwnPassword,
    ResetRefused,
)
from .models import (
    AccountEvent,
    AccountLink,
    ActivationFailure,
    Delivery,
    Guardian,
    Homeroom,
    Notice,
    NoticePreference,
    Role,
    RoleAssignment,
    School,
    Staff,
    new_activation_code,
)
from .selectors import current_term, letters_for_homeroom

User = get_user_model()
Kind = AccountEvent.Kind

DEFAULT_CODE_DAYS = 30
# Wrong codes allowed in the window, per phone and per client address (a school's or a
# carrier's NAT puts many families behind one address, hence the higher second limit).
ACTIVATION_WINDOW = dt.timedelta(minutes=15)


def _limit(name: str, default: int) -> int:
    return getattr(settings, name, default)


def account_event_record(*, kind: str, school: School | None, actor_user=None, target=None,
                         staff: Staff | None = None, guardian: Guardian | None = None,
                         ip_address: str = "", detail: str = "") -> AccountEvent:
    """One line of the school's record of account changes (who, whom, when, from where)."""
    event = AccountEvent(kind=kind, school=school, actor=actor_user, target=target, staff=staff,
                         guardian=guardian, ip_address=ip_address or None, detail=detail[:200])
    event.full_clean()
    event.save()
    return event


def _login_for_new_phone(*, phone: str, name: str) -> tuple["User", bool]:
    """The login of ``phone``: created (with no usable password) when there is none."""
    return User.objects.get_or_create(phone=phone, defaults={
        "name": name, "password": make_password(None)})


def _link_request(*, user, school: School, staff: Staff | None = None,
                  guardian: Guardian | None = None, requested_by=None,
                  ip_address: str = "") -> AccountLink:
    """Ask the owner of an existing login to accept a new role; the login stays as it is."""
    lookup = {"staff": staff} if staff else {"guardian": guardian}
    link = AccountLink.objects.filter(user=user, status=AccountLink.Status.PENDING,
                                      **lookup).first()
    if link:
        return link
    link = AccountLink(user=user, school=school, staff=staff, guardian=guardian,
                       requested_by=requested_by)
    link.full_clean()
    link.save()
    if staff:
        what = f"教职工“{staff.name}”"
    else:
        children = "、".join(guardian.students.values_list("name", flat=True))
        what = f"学生{children}的监护人" if children else f"监护人“{guardian.name}”"
    notice_create(user=user, school=school, title=f"{school.name}请求将您的账号关联为{what}",
                  body="如果这是您本人，请在“账号关联”页面确认；如果不是，请拒绝，并联系该校。"
                       "确认之前，该校的这一身份不会出现在您的账号中。",
                  url=reverse("school:account_links"))
    account_event_record(kind=Kind.LINK_REQUESTED, school=school, actor_user=requested_by,
                         target=user, staff=staff, guardian=guardian, ip_address=ip_address)
    return link


# ----------------------------------------------------------------------- guardian activation


@dataclass
class ActivationOutcome:
    """``user`` signed up (or set the password of a code reissued to them), or — for a phone
    whose login already exists — ``pending``: links its owner accepts after signing in."""

    user: object = None
    pending: list = field(default_factory=list)


def activation_locked(*, phone: str, ip_address: str = "") -> bool:
    since = timezone.now() - ACTIVATION_WINDOW
    recent = ActivationFailure.objects.filter(at__gte=since)
    if recent.filter(phone=phone).count() >= _limit("ACTIVATION_FAILURE_LIMIT", 5):
        return True
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= _limit(
        "ACTIVATION_FAILURE_LIMIT_PER_ADDRESS", 20)


def _activation_failed(*, phone: str, ip_address: str) -> None:
    now = timezone.now()
    ActivationFailure.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    ActivationFailure.objects.create(phone=phone, ip_address=ip_address or None, at=now)


def _matching_codes(guardians, code: str) -> list[Guardian]:
    typed = "".join(code.split()).upper()
    return [g for g in guardians if secrets.compare_digest(g.activation_code, typed)]


def _usable(matching: list[Guardian], now) -> list[Guardian]:
    """The guardians whose code may still be used; otherwise why not, as a domain error."""
    usable = [g for g in matching if g.code_is_usable(now)]
    if usable:
        return usable
    if any(g.activation_used_at for g in matching):
        raise CodeUsed()
    raise CodeExpired()


def _consume(guardian: Guardian, user, now) -> None:
    guardian.user = user
    guardian.activated_at = guardian.activated_at or now
    guardian.activation_used_at = now
    guardian.save(update_fields=["user", "activated_at", "activation_used_at"])


def guardian_activate(*, phone: str, code: str, password: str,
                      ip_address: str = "") -> ActivationOutcome:
    """A family claims its login with the code printed on the letter home.

    The code creates a login for a phone that has none; it sets a password only for a phone
    with no login yet, or for the guardian's own login whose password the office cleared when
    it reissued the code. A phone whose login already exists gets a link its owner accepts
    after signing in, and that login is left as it was. Wrong codes are counted per phone
    and per address; past the limit every attempt is refused for a while.
    """
    if activation_locked(phone=phone, ip_address=ip_address):
        raise ActivationLocked()
    try:
        return _guardian_activate(phone=phone, code=code, password=password,
                                  ip_address=ip_address)
    except ActivationFailed:
        _activation_failed(phone=phone, ip_address=ip_address)
        raise


@transaction.atomic
def _guardian_activate(*, phone: str, code: str, password: str,
                       ip_address: str) -> ActivationOutcome:
    now = timezone.now()
    guardians = list(Guardian.objects.select_for_update().select_related("school")
                     .filter(phone=phone))
    matching = _matching_codes(guardians, code)
    if not matching:
        raise ActivationFailed()
    user = User.objects.select_for_update().filter(phone=phone).first()
    if user is not None and all(g.user_id == user.pk for g in matching) \
            and user.has_usable_password():
        raise AlreadyActivated()
    mine = [g for g in matching if g.user_id is None or (user and g.user_id == user.pk)]
    if not mine:
        raise AlreadyActivated()
    usable = _usable(mine, now)

    if user is None:
        user = User(phone=phone, name=usable[0].name)
        user.set_password(password)
        user.full_clean()
        user.save()
        for guardian in usable:
            _consume(guardian, user, now)
            account_event_record(kind=Kind.ACTIVATION, school=guardian.school, target=user,
                                 guardian=guardian, ip_address=ip_address,
                                 detail="凭家长信激活码新建账号")
        return ActivationOutcome(user=user)

    own = [g for g in usable if g.user_id == user.pk]
    if (own and len(own) == len(usable) and not user.has_usable_password()
            and all(login_is_within(user, g.school) for g in own)):
        # The office reissued the code of a family that forgot its password (and was allowed
        # to: this login has no role beyond that school's families and teachers).
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        for guardian in own:
            _consume(guardian, user, now)
            account_event_record(kind=Kind.ACTIVATION, school=guardian.school, target=user,
                                 guardian=guardian, ip_address=ip_address,
                                 detail="凭重新发放的激活码设置密码")
        return ActivationOutcome(user=user)

    # Someone else's login, as far as we know: its password is never set from here.
    pending = [_link_request(user=user, school=g.school, guardian=g, ip_address=ip_address)
               for g in usable if g.user_id is None]
    if not pending:
        raise AlreadyActivated()
    return ActivationOutcome(pending=pending)


def guardian_claim_by_code(*, user, code: str, ip_address: str = "") -> list[Guardian]:
    """A signed-in person adds the children of a letter to their own login with its code.

    The phone on the letter must be this login's phone, and the code must still be usable:
    the letter proves the family, the signed-in session proves the login's owner.
    """
    if activation_locked(phone=user.phone, ip_address=ip_address):
        raise ActivationLocked()
    try:
        return _guardian_claim_by_code(user=user, code=code, ip_address=ip_address)
    except ActivationFailed:
        _activation_failed(phone=user.phone, ip_address=ip_address)
        raise


@transaction.atomic
def _guardian_claim_by_code(*, user, code: str, ip_address: str) -> list[Guardian]:
    now = timezone.now()
    guardians = list(Guardian.objects.select_for_update().select_related("school")
                     .filter(phone=user.phone))
    matching = _matching_codes(guardians, code)
    if not matching:
        raise ActivationFailed()
    if all(g.user_id == user.pk for g in matching):
        raise AlreadyActivated("这些孩子已经关联到您的账号。")
    mine = [g for g in matching if g.user_id is None]
    if not mine:
        raise ActivationFailed()
    usable = _usable(mine, now)
    for guardian in usable:
        _consume(guardian, user, now)
        AccountLink.objects.filter(user=user, guardian=guardian,
                                   status=AccountLink.Status.PENDING).update(
            status=AccountLink.Status.ACCEPTED, decided_at=now)
        account_event_record(kind=Kind.LINK_ACCEPTED, school=guardian.school, actor_user=user,
                             target=user, guardian=guardian, ip_address=ip_address,
                             detail="本人登录后输入家长信激活码")
    return usable


# ----------------------------------------------------------------------- links and staff


@transaction.atomic
def account_link_accept(*, user, link: AccountLink, ip_address: str = "") -> AccountLink:
    """The owner of a login accepts a staff row of a school (guardians use their code)."""
    link = AccountLink.objects.select_for_update().select_related("school").get(pk=link.pk)
    if link.user_id != user.pk or link.status != AccountLink.Status.PENDING:
        raise LinkClosed()
    if link.guardian_id:
        raise LinkNeedsCode()
    staff = Staff.objects.select_for_update().get(pk=link.staff_id)
    if staff.user_id is not None or staff.phone != user.phone:
        raise LinkClosed()
    staff.user = user
    staff.save(update_fields=["user"])
    link.status = AccountLink.Status.ACCEPTED
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "decided_at"])
    account_event_record(kind=Kind.LINK_ACCEPTED, school=link.school, actor_user=user,
                         target=user, staff=staff, ip_address=ip_address)
    return link


@transaction.atomic
def account_link_refuse(*, user, link: AccountLink, ip_address: str = "") -> AccountLink:
    """The owner of a login says "not me": the school's row stays without a login."""
    link = AccountLink.objects.select_for_update().select_related("school").get(pk=link.pk)
    if link.user_id != user.pk or link.status != AccountLink.Status.PENDING:
        raise LinkClosed()
    link.status = AccountLink.Status.REFUSED
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "decided_at"])
    account_event_record(kind=Kind.LINK_REFUSED, school=link.school, actor_user=user,
                         target=user, staff=link.staff, guardian=link.guardian,
                         ip_address=ip_address)
    return link


@transaction.atomic
def staff_ensure_login(*, actor: Actor, staff: Staff, ip_address: str = "") -> "User | None":
    """The login of a staff row, created for a phone that has none.

    For a phone whose login already exists the owner is asked to accept the row, and None is
    returned until they do: the roster only names a phone, it does not prove whose it is.
    """
    require(actor, Role.COORDINATOR)
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if staff.school_id != actor.school.pk:
        raise PermissionDenied("您没有权限执行此操作。")
    if staff.user_id:
        return staff.user
    user, created = _login_for_new_phone(phone=staff.phone, name=staff.name)
    if not created:
        _link_request(user=user, school=staff.school, staff=staff, requested_by=actor.user,
                      ip_address=ip_address)
        return None
    staff.user = user
    staff.save(update_fields=["user"])
    account_event_record(kind=Kind.LOGIN_CREATED, school=staff.school, actor_user=actor.user,
                         target=user, staff=staff, ip_address=ip_address)
    return user


@transaction.atomic
def user_reset_password(*, actor: Actor, user: "User", ip_address: str = "") -> str:
    """The coordinator sets a temporary password and hands it over in person.

    Only for a login of the coordinator's school that ranks below them; the person must
    choose their own password at the next sign-in.
    """
    require(actor, Role.COORDINATOR)
    if user.pk == actor.user.pk:
        raise ResetOwnPassword()
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_reset_password(actor, user):
        raise ResetRefused()
    password = "".join(secrets.choice("23456789abcdefghjkmnpqrstuvwxyz") for _ in range(10))
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    account_event_record(kind=Kind.PASSWORD_RESET, school=actor.school, actor_user=actor.user,
                         target=user, ip_address=ip_address)
    return password


@transaction.atomic
def user_password_changed(*, user: "User") -> "User":
    """The person chose their own password: the office's temporary one is gone."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    return user


# ----------------------------------------------------------------------- letters and codes


def _code_days(school: School) -> int:
    term = current_term(school)
    return term.activation_valid_days if term else DEFAULT_CODE_DAYS


@transaction.atomic
def letters_print(*, actor: Actor, homeroom: Homeroom, guardian_ids: list[int] | None = None,
                  ip_address: str = "") -> list[dict]:
    """Print the letters of a homeroom's families whose code has not been printed yet.

    Each code appears on paper once: printing starts its validity (the term's number of
    days) and is recorded per family; printing it again takes a reissued code.
    """
    require(actor, Role.COORDINATOR, Role.HOMEROOM_TEACHER)
    if homeroom.school_id != actor.school.pk or not (
            actor.is_coordinator or homeroom.head_teacher_id == getattr(actor.staff, "pk", None)):
        raise PermissionDenied("您没有权限执行此操作。")
    letters = letters_for_homeroom(homeroom)
    wanted = {letter["guardian"].pk for letter in letters}
    if guardian_ids:
        wanted &= set(guardian_ids)
    printable = {g.pk: g for g in Guardian.objects.select_for_update().filter(
        pk__in=wanted, user__isnull=True, letter_printed_at__isnull=True,
        activation_used_at__isnull=True)}
    now = timezone.now()
    expires = now + dt.timedelta(days=_code_days(homeroom.school))
    printed = []
    for letter in letters:
        guardian = printable.get(letter["guardian"].pk)
        if guardian is None:
            continue
        guardian.letter_printed_at = now
        guardian.activation_expires_at = expires
        printed.append({**letter, "guardian": guardian})
    Guardian.objects.bulk_update([p["guardian"] for p in printed],
                                 ["letter_printed_at", "activation_expires_at"])
    AccountEvent.objects.bulk_create([
        AccountEvent(kind=Kind.LETTER_PRINTED, school=homeroom.school, actor=actor.user,
                     guardian=p["guardian"], ip_address=ip_address or None, at=now,
                     detail=f"{homeroom}，激活码有效至 {timezone.localtime(expires):%Y-%m-%d}")
        for p in printed])
    return printed


@transaction.atomic
def guardian_reissue_code(*, actor: Actor, guardian: Guardian, ip_address: str = "") -> Guardian:
    """A lost letter: a new code (unprinted until its letter is printed), the old one void.

    For a family already signed up (a forgotten password) the login's password is cleared
    too, so the new code sets it — only when the coordinator could reset that login anyway.
    """
    require(actor, Role.COORDINATOR)
    guardian = Guardian.objects.select_for_update(of=("self",)).select_related("user").get(pk=guardian.pk)
    if guardian.school_id != actor.school.pk:
        raise PermissionDenied("您没有权限执行此操作。")
    user = guardian.user
    if user is not None:
        if not may_reset_password(actor, user):
            raise ResetRefused()
        user.set_unusable_password()
        user.save(update_fields=["password"])
        account_event_record(kind=Kind.PASSWORD_RESET, school=actor.school,
                             actor_user=actor.user, target=user, guardian=guardian,
                             ip_address=ip_address, detail="重新发放激活码，原密码作废")
    guardian.activation_code = new_activation_code()
    guardian.letter_printed_at = None
    guardian.activation_expires_at = None
    guardian.activation_used_at = None
    guardian.save(update_fields=["activation_code", "letter_printed_at",
                                 "activation_expires_at", "activation_used_at"])
    account_event_record(kind=Kind.CODE_REISSUED, school=actor.school, actor_user=actor.user,
                         target=user, guardian=guardian, ip_address=ip_address,
                         detail="原激活码作废，需重新打印家长信")
    return guardian


@transaction.atomic
def notice_create(*, user, school: School, title: str, body: str = "", url: str = "",
                  email: str = "", sms: bool = False, key: str = "") -> Notice:
    """One notice: in-app always; an e-mail where an address is known (``email``, else the
    account's own) and a text message if ``sms`` — each a ``Delivery`` sent after commit,
    unless the person turned that channel off. With ``key``, the notice is sent to this person
    once only: a second call returns the first notice. Many at once: ``notices_send``.
    """
    from .notifications import NoticeSpec, notices_send

    report = notices_send(school=school, specs=[NoticeSpec(
        user=user, title=title, body=body, url=url, email=email, sms=sms, key=key)])
    if report.notices:
        return report.notices[0]
    return Notice.objects.get(user=user, key=key)


@transaction.atomic
def notice_preference_update(*, user, email: bool, sms: bool) -> NoticePreference:
    """How this person wants notices besides the in-app list."""
    preference, _ = NoticePreference.objects.get_or_create(user=user)
    preference.email, preference.sms = email, sms
    preference.full_clean()
    preference.save(update_fields=["email", "sms"])
    return preference


@transaction.atomic
def delivery_retry(*, actor: Actor, delivery_ids) -> int:
    """The office sends failed e-mails and SMS of its school again (e.g. after fixing a number
    or once the provider is back): they become pending with fresh attempts and are queued."""
    from .notifications import deliveries_queue_on_commit

    require(actor, Role.COORDINATOR)
    ids = list(Delivery.objects.filter(pk__in=list(delivery_ids), notice__school=actor.school,
                                       status=Delivery.Status.FAILED)
               .values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.PENDING, attempts=0,
                                               next_attempt_at=None, queued_at=None, error="")
    deliveries_queue_on_commit(ids)
    return len(ids)


def notice_mark_read(*, user, notice_ids) -> int:
    return Notice.objects.filter(user=user, pk__in=notice_ids, read_at__isnull=True).update(
        read_at=timezone.now())


# ------------------------------------------------------------------ offboarding
# Roles follow from rows (afterschool/access.py reads them afresh on every request), so taking
# a row away takes the role away from the next request: there is no session or cache to clear.

# Roles the office removes one at a time; a tutor's or external instructor's role is the staff
# row itself (停用), and a principal's is changed by the system administrator.
REMOVABLE_ROLES = (Role.COORDINATOR, Role.DUTY_TEACHER, Role.HOMEROOM_TEACHER)


def _offboard_check(actor: Actor, staff: Staff) -> None:
    require(actor, Role.COORDINATOR)
    if actor.school is None or staff.school_id != actor.school.pk:
        raise PermissionDenied("您没有权限操作其他学校的教职工。")
    if staff.user_id is not None and staff.user_id == getattr(actor.user, "pk", None):
        raise OffboardingRefused(errors.OFFBOARD_SELF)


def _login_keeps_a_role(user) -> bool:
    """Whether the login still makes someone of anybody anywhere: a guardian row (a parent
    keeps signing in as a parent), an active staff row or a granted role in any school."""
    return (Guardian.objects.filter(user=user).exists()
            or Staff.objects.filter(user=user, is_active=True).exists()
            or RoleAssignment.objects.filter(user=user).exists())


@transaction.atomic
def staff_deactivate(*, actor: Actor, staff: Staff, reason: str = "",
                     ip_address: str = "") -> Staff:
    """停用 (a member of staff leaves): the staff row inactive, the roles granted in this school
    removed, their homerooms without a 班主任. The login is closed unless it still holds a
    role somewhere — a teacher who is also a parent keeps signing in, as a parent only."""
    _offboard_check(actor, staff)
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if not staff.is_active:
        raise OffboardingRefused(errors.OFFBOARD_ALREADY_INACTIVE.format(name=staff.name))
    staff.is_active = False
    staff.full_clean()
    staff.save(update_fields=["is_active"])
    parts = []
    homerooms = list(Homeroom.objects.filter(head_teacher=staff).select_related("grade"))
    if homerooms:
        Homeroom.objects.filter(pk__in=[h.pk for h in homerooms]).update(head_teacher=None)
        parts.append("不再担任" + "、".join(h.name for h in homerooms) + "班主任")
    user = staff.user
    if user is not None:
        grants = RoleAssignment.objects.filter(user=user, school=actor.school)
        labels = [g.get_role_display() for g in grants]
        if labels:
            grants.delete()
            parts.append("移除" + "、".join(labels))
        if not _login_keeps_a_role(user):
            user.is_active = False
            user.save(update_fields=["is_active"])
            parts.append("登录账号已停用")
        else:
            parts.append("登录账号保留（仍有其他身份，如家长）")
    if reason:
        parts.append(f"原因：{reason}")
    account_event_record(kind=AccountEvent.Kind.STAFF_DEACTIVATED, school=actor.school,
                         actor_user=actor.user, target=user, staff=staff,
                         ip_address=ip_address, detail="；".join(parts))
    return staff


@transaction.atomic
def staff_role_remove(*, actor: Actor, staff: Staff, role: str, reason: str = "",
                      ip_address: str = "") -> Staff:
    """Take one role from a member of staff, from their next request on: 课后服务办公室 or
    值日教师 (the grant), 班主任 (their homerooms are left without one). The rest stays."""
    _offboard_check(actor, staff)
    label = Role(role).label if role in Role.values else str(role)
    if role not in REMOVABLE_ROLES:
        raise OffboardingRefused(errors.OFFBOARD_ROLE_NOT_REMOVABLE.format(role=label))
    not_held = OffboardingRefused(errors.OFFBOARD_ROLE_NOT_HELD.format(name=staff.name,
                                                                       role=label))
    if role == Role.HOMEROOM_TEACHER:
        homerooms = list(Homeroom.objects.filter(head_teacher=staff).select_related("grade"))
        if not homerooms:
            raise not_held
        Homeroom.objects.filter(pk__in=[h.pk for h in homerooms]).update(head_teacher=None)
        detail = f"移除“{label}”（" + "、".join(h.name for h in homerooms) + "）"
    else:
        if staff.user_id is None:
            raise not_held
        deleted, _ = RoleAssignment.objects.filter(user_id=staff.user_id, school=actor.school,
                                                   role=role).delete()
        if not deleted:
            raise not_held
        detail = f"移除“{label}”"
    if reason:
        detail += f"；原因：{reason}"
    account_event_record(kind=AccountEvent.Kind.ROLE_REMOVED, school=actor.school,
                         actor_user=actor.user, target=staff.user, staff=staff,
                         ip_address=ip_address, detail=detail)
    return staff
