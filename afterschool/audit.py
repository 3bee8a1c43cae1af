"""The access log of children's sensitive details, and who sees which of them.

Every page or export that shows a child's health notes and allergies, the people who may
collect them, or a full phone number calls :func:`log_access` once: one row per child, all of
them written in one ``INSERT`` (a roster of 25 children is one query, not 25). A family
reading its own child's details is not logged: the log is of the school's access.

Who sees what (minimisation; each view applies its line, tests/afterschool/test_masking*.py
hold them to it). "masked" is :func:`afterschool.cleaning.mask_phone` (138****8000):

==========================================  =====================================================
page or file                                what each role sees
==========================================  =====================================================
意向书详情 (enrollment detail)               guardian of the child: everything (not logged);
                                            office: health, pickup persons, full phones;
                                            homeroom teacher and principal: health and pickup
                                            persons, phones masked (they review, they do not
                                            ring).
教学班/作业辅导名单 page (arrangement)        the section's or group's tutor and the office: full
                                            phones (the printed sheet is the one they ring from in
                                            an emergency); the principal: phones masked.
名单 .xlsx, 学生名册 .xlsx                    phones masked for everyone; the office only, when it
                                            ticks 含完整手机号 and gives a reason, gets full
                                            numbers (logged with the reason). The principal's
                                            files are always masked.
点名 (roll call)                             tutors, homeroom teacher, office: health markers;
                                            the principal: none (they read attendance, they do
                                            not look after the child).
放学交接 (a lesson's dismissal)               the tutor and the office: pickup persons with full
                                            phones, a tap to ring (the call list for a late
                                            family); the principal: masked.
全校放学 (campus dismissal)                   the duty teacher and the office: full phones (they
                                            ring the families still missing); the principal:
                                            masked.
名单 with guardians (学生、班级), 审核列表      guardians' phones masked, no health: not logged.
==========================================  =====================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .access import Actor
from .cleaning import mask_phone
from .exceptions import ExportReasonRequired, FullPhonesOfficeOnly
from .models import Role, SensitiveAccess
from .params import client_ip

Kind = SensitiveAccess.Kind

# The role a person acts in when they hold several: the widest reach first.
ROLE_ORDER = (Role.COORDINATOR, Role.PRINCIPAL, Role.DUTY_TEACHER, Role.HOMEROOM_TEACHER,
              Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)
# Large enough for a whole school's export in one statement, small enough for PostgreSQL's
# 65,535 parameters per statement (13 columns a row).
BATCH = 4000


def acting_role(actor: Actor, *roles) -> str | None:
    """The first of ``roles`` (default: the widest reach first) the actor holds."""
    for role in roles or ROLE_ORDER:
        if actor.has(role):
            return role
    return None


def _student_id(student) -> int | None:
    return student if isinstance(student, int) else getattr(student, "pk", None)


def log_access(request, actor: Actor, students: Iterable = (), *, place: str,
               kinds: Iterable[str] = (), entries: Iterable | None = None,
               role: str | None = None, export: bool = False, reason: str = "") -> int:
    """Record that ``actor`` saw (or exported) ``kinds`` of each of ``students`` at ``place``.

    ``students``: Student instances or ids, each shown ``kinds``; or ``entries``: pairs of
    (student, kinds) when the page shows different things of different children. ``role``:
    the role the page serves them in (default :func:`acting_role`). Nothing is written for a
    guardian (their own child), for nobody, or for no child. One ``INSERT``; returns the
    number of rows."""
    if actor.user is None or actor.school is None:
        return 0
    role = role or acting_role(actor)
    if role is None or role == Role.GUARDIAN:
        return 0
    shown: dict[int, list[str]] = {}
    pairs = list(entries or []) + [(s, kinds) for s in students]
    for student, its_kinds in pairs:
        sid = _student_id(student)
        if sid is None:
            continue
        found = shown.setdefault(sid, [])
        found.extend(str(k) for k in its_kinds if str(k) not in found)
    shown = {sid: found for sid, found in shown.items() if found}
    if not shown:
        return 0
    user = actor.user
    common = {"school_id": actor.school.pk, "user_id": user.pk,
              "user_name": (user.name or mask_phone(user.phone))[:50], "role": str(role),
              "place": place[:120], "is_export": export,
              "path": request.path[:200] if request is not None else "",
              "reason": reason[:200],
              "ip_address": (client_ip(request) or None) if request is not None else None,
              "at": timezone.now()}
    SensitiveAccess.objects.bulk_create([SensitiveAccess(student_id=sid, kinds=found, **common)
                                         for sid, found in shown.items()], batch_size=BATCH)
    return len(shown)


def sensitive_access_purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Delete the access log older than ``settings.ACCESS_LOG_RETENTION_DAYS``; the number of
    rows deleted (or, with ``dry_run``, that would be). Safe to run twice; one ``DELETE``
    (nothing cascades from the log). Called by ``manage.py purge_expired``."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    expired = SensitiveAccess.objects.filter(at__lt=cutoff)
    if dry_run:
        return expired.count()
    with transaction.atomic():
        deleted, _ = expired.delete()
    return deleted


# ---------------------------------------------------------------- exports with full phones


@dataclass(frozen=True)
class ExportChoice:
    full_phones: bool = False
    reason: str = ""

    def phone(self, value: str) -> str:
        return value if self.full_phones else mask_phone(value or "")


def export_choice(request, actor: Actor) -> ExportChoice:
    """Whether this download carries full phone numbers: only a POST from the office with
    含完整手机号 ticked and a reason (4 characters or more). Anything else: masked.

    Raises :class:`FullPhonesOfficeOnly` or :class:`ExportReasonRequired`."""
    if request.method != "POST" or not request.POST.get("full_phones"):
        return ExportChoice()
    if not actor.is_coordinator:
        raise FullPhonesOfficeOnly()
    reason = " ".join((request.POST.get("reason") or "").split())[:200]
    if len(reason) < 4:
        raise ExportReasonRequired()
    return ExportChoice(full_phones=True, reason=reason)


def export_kinds(choice: ExportChoice, *kinds) -> list[str]:
    """The kinds an export logs: its own, plus the full phone numbers when it carries them."""
    found = list(kinds)
    if choice.full_phones:
        found += [Kind.PHONE, Kind.FULL_PHONE_EXPORT]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- what a family reads

_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容",
                      "令狐", "司徒", "夏侯", "长孙", "宇文", "端木", "独孤")


def surname(name: str) -> str:
    name = (name or "").strip()
    if name[:2] in _COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def viewer_for_family(access: SensitiveAccess) -> str:
    """"赵老师（辅导教师）", "周校长": how a school names its staff to a family. Staff's full
    names stay with the school (the principal's page shows them); a family needs to know
    which adult, in which role, to ask."""
    role = Role(access.role).label if access.role in Role.values else access.role
    family = surname(access.user_name)
    if not family:
        return role
    if access.role == Role.PRINCIPAL:
        return f"{family}校长"
    return f"{family}老师（{role}）"
