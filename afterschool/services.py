"""Writes of the core: each a function with keyword-only arguments and an explicit actor."""

import secrets

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .access import Actor, require
from .exceptions import ActivationFailed, AlreadyActivated
from .models import Guardian, Notice, Role, School, Staff

User = get_user_model()


def _user_for_phone(*, phone: str, name: str) -> "User":
    user, created = User.objects.get_or_create(phone=phone, defaults={"name": name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def guardian_activate(*, phone: str, code: str, password: str) -> "User":
    """A guardian claims their login with the code printed on the letter home."""
    guardians = list(Guardian.objects.select_for_update().filter(phone=phone))
    matching = [g for g in guardians
                if secrets.compare_digest(g.activation_code, code.strip().upper())]
    if not matching:
        raise ActivationFailed()
    if all(g.user_id and g.user.has_usable_password() for g in matching):
        raise AlreadyActivated()
    user = _user_for_phone(phone=phone, name=matching[0].name)
    user.set_password(password)
    user.full_clean()
    user.save()
    now = timezone.now()
    # The same phone may be a guardian in more than one school: one login for all of them.
    for guardian in guardians:
        guardian.user = user
        guardian.activated_at = guardian.activated_at or now
        guardian.save(update_fields=["user", "activated_at"])
    return user


@transaction.atomic
def staff_ensure_login(*, staff: Staff) -> "User":
    """Link a staff profile to the login of its phone number, creating it if needed."""
    if staff.user_id:
        return staff.user
    user = _user_for_phone(phone=staff.phone, name=staff.name)
    staff.user = user
    staff.save(update_fields=["user"])
    return user


@transaction.atomic
def user_reset_password(*, actor: Actor, user: "User") -> str:
    """The coordinator sets a new temporary password and hands it over in person."""
    require(actor, Role.COORDINATOR)
    password = "".join(secrets.choice("23456789abcdefghjkmnpqrstuvwxyz") for _ in range(10))
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


@transaction.atomic
def guardian_reset_activation(*, actor: Actor, guardian: Guardian) -> Guardian:
    """A lost letter: a new activation code, and the old login (if any) must claim again."""
    require(actor, Role.COORDINATOR)
    from .models import new_activation_code

    guardian.activation_code = new_activation_code()
    guardian.save(update_fields=["activation_code"])
    if guardian.user_id:
        guardian.user.set_unusable_password()
        guardian.user.save(update_fields=["password"])
    return guardian


def notice_create(*, user, school: School, title: str, body: str = "", url: str = "",
                  email: str = "") -> Notice:
    """An in-app notice; with an email address, also a mail sent by Celery after commit."""
    notice = Notice(user=user, school=school, title=title, body=body, url=url)
    notice.full_clean()
    notice.save()
    if email:
        from .tasks import notice_email_task

        transaction.on_commit(lambda: notice_email_task.delay(notice.pk, email))
    return notice


def notice_send_email(*, notice: Notice, address: str) -> bool:
    """Send one notice by mail, once: running the task twice sends one mail."""
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.emailed_at:
            return False
        send_mail(subject=f"【{locked.school.name}课后服务】{locked.title}",
                  message=locked.body or locked.title, from_email=None,
                  recipient_list=[address])
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    return True


def notice_mark_read(*, user, notice_ids) -> int:
    return Notice.objects.filter(user=user, pk__in=notice_ids, read_at__isnull=True).update(
        read_at=timezone.now())
