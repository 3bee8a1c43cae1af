"""Children's personal information: the school's notice, and each family's consent to it.

The guardian consents per child, separately to (a) the processing of the child's personal
information for the service and (b) the sensitive part (health notes, allergies), on one
version of the school's 个人信息保护告知书. Consents are never deleted; withdrawing one records
who, when, from where and why, and has its consequence at once: without (b) the health notes
and allergies are cleared, without (a) the child's participation ends through the ordinary
withdrawal of the application (``application_withdraw``, so the history and the notices are
the usual ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from afterschool.access import Actor
from afterschool.cleaning import clean_text
from afterschool.models import School, Student

from .. import exceptions
from ..models import Application, PrivacyConsent, PrivacyNotice
from ..selectors import current_notice, standing_kinds
from ..transitions import move_for
from .common import create_once, full_clean, require_coordinator, require_guardian
from .review import application_withdraw

logger = logging.getLogger(__name__)
Kind = PrivacyConsent.Kind
Status = Application.Status
# What a withdrawal of (a) writes as the application's withdrawal reason, before the family's.
WITHDRAW_PREFIX = "撤回个人信息处理同意："


@transaction.atomic
def privacy_notice_publish(*, school: School, actor: Actor, text: str,
                           sensitive_text: str) -> PrivacyNotice:
    """A new version of the school's notice: families are asked again at their next edit."""
    require_coordinator(actor, school.pk)
    text, sensitive_text = (text or "").strip(), (sensitive_text or "").strip()
    if not text or not sensitive_text:
        raise exceptions.ApplicationInvalid(exceptions.NOTICE_TEXT_REQUIRED,
                                            field="text" if not text else "sensitive_text")
    # Lock the school so two publishers get versions n and n+1, not both n.
    School.objects.select_for_update().filter(pk=school.pk).first()
    last = PrivacyNotice.objects.filter(school=school).aggregate(v=Max("version"))["v"] or 0
    notice = PrivacyNotice(school=school, version=last + 1, text=text,
                           sensitive_text=sensitive_text, published_at=timezone.now(),
                           published_by=actor.user)
    full_clean(notice)
    notice.save()
    logger.info("privacy notice v%s published for school %s by user %s", notice.version,
                school.pk, getattr(actor.user, "pk", None))
    return notice


@transaction.atomic
def privacy_consent_give(*, student: Student, actor: Actor, personal: bool = False,
                         sensitive: bool = False,
                         ip_address: str | None = None) -> list[PrivacyConsent]:
    """The signed-in guardian consents for this child on the school's current notice.

    Giving a part already standing on this version keeps the first row (a double submit, or
    both parents at once: the partial unique constraint decides). The sensitive part needs the
    personal one, standing or given now.
    """
    require_guardian(actor, student.pk)
    notice = current_notice(student.school_id)
    if notice is None:
        raise exceptions.ConsentMissing(exceptions.NOTICE_MISSING)
    standing = standing_kinds(student_ids=[student.pk], notice=notice).get(student.pk, set())
    if sensitive and not personal and Kind.PERSONAL not in standing:
        raise exceptions.ConsentMissing(exceptions.SENSITIVE_NEEDS_PERSONAL,
                                        field="consent_sensitive")
    now = timezone.now()
    given = []
    for kind, wanted in ((Kind.PERSONAL, personal), (Kind.SENSITIVE, sensitive)):
        if not wanted:
            continue
        consent = PrivacyConsent(student=student, notice=notice, kind=kind,
                                 guardian=actor.guardian, given_by=actor.user, given_at=now,
                                 ip_address=ip_address or None)
        consent, _ = create_once(consent, student=student, notice=notice, kind=kind,
                                 withdrawn_at__isnull=True)
        given.append(consent)
    return given


def require_sensitive_consent(*, student: Student, health_notes: str, allergies: str) -> None:
    """Health notes and allergies are accepted only under a standing consent to part (b) of
    the current notice."""
    if not (health_notes or allergies):
        return
    notice = current_notice(student.school_id)
    kinds = standing_kinds(student_ids=[student.pk], notice=notice).get(student.pk, set())
    if Kind.SENSITIVE not in kinds:
        raise exceptions.ConsentMissing(exceptions.SENSITIVE_CONSENT_REQUIRED,
                                        field="consent_sensitive")


@dataclass
class ConsentWithdrawal:
    """What a withdrawal did: the consents withdrawn, the forms ended, the forms cleared."""

    consents: list[PrivacyConsent] = field(default_factory=list)
    applications_withdrawn: list[Application] = field(default_factory=list)
    health_cleared: int = 0


@transaction.atomic
def privacy_consent_withdraw(*, student: Student, actor: Actor, kind: str, reason: str,
                             ip_address: str | None = None) -> ConsentWithdrawal:
    """A guardian of the child withdraws part (a) or (b), with its consequence at once.

    (b): the health notes and allergies of every form of the child are emptied. (a): (b) goes
    with it (sensitive information is part of the personal), and every form of the child that
    can still be withdrawn is withdrawn from today with the reason recorded, so the child stops
    taking part; the office and the teachers are told as for any withdrawal.
    """
    require_guardian(actor, student.pk)
    if kind not in Kind.values:
        raise exceptions.EnrollmentError(exceptions.CONSENT_NOT_STANDING)
    reason = clean_text(reason)[:200]
    if not reason:
        raise exceptions.ApplicationInvalid(exceptions.CONSENT_WITHDRAW_REASON_REQUIRED,
                                            field="reason")
    kinds = [Kind.SENSITIVE] if kind == Kind.SENSITIVE else [Kind.PERSONAL, Kind.SENSITIVE]
    standing = list(PrivacyConsent.objects.select_for_update()
                    .filter(student=student, kind__in=kinds, withdrawn_at__isnull=True)
                    .order_by("pk"))
    if not any(c.kind == kind for c in standing):
        raise exceptions.EnrollmentError(exceptions.CONSENT_NOT_STANDING)
    now = timezone.now()
    result = ConsentWithdrawal(consents=standing)
    for consent in standing:
        consent.withdrawn_at = now
        consent.withdrawn_by = actor.user
        consent.withdrawn_guardian = actor.guardian
        consent.withdraw_reason = reason
        consent.withdraw_ip_address = ip_address or None
        full_clean(consent, validate_constraints=False)
        consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_guardian",
                                    "withdraw_reason", "withdraw_ip_address"])

    if kind == Kind.PERSONAL:
        today = timezone.localdate(now)
        for application in (Application.objects.filter(student=student).select_related("term")
                            .order_by("pk")):
            if move_for(application.status, Status.WITHDRAWN) is None:
                continue
            result.applications_withdrawn.append(application_withdraw(
                application=application, actor=actor, withdrawn_on=today,
                reason=f"{WITHDRAW_PREFIX}{reason}"))

    # Cleared at once, and the revision bumped so a form open in another tab cannot write
    # them back.
    result.health_cleared = (Application.objects.filter(student=student)
                             .filter(~Q(health_notes="") | ~Q(allergies=""))
                             .update(health_notes="", allergies="", updated_at=now,
                                     revision=F("revision") + 1))
    logger.info("privacy consent (%s) withdrawn for student %s by user %s: %d consents, "
                "%d forms withdrawn, %d forms cleared", kind, student.pk,
                getattr(actor.user, "pk", None), len(standing),
                len(result.applications_withdrawn), result.health_cleared)
    return result
