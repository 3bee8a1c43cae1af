"""Writes of the family's rights and the retention setting: keyword-only, with an ``actor``,
all or nothing.

A guardian asks for a correction or a deletion (:func:`data_request_create`) and may withdraw
it while it waits; the office carries it out (:func:`data_request_carry_out`: a deletion
anonymises the child, :mod:`privacy.anonymise`) or refuses it with a legal reason
(:func:`data_request_refuse`). Every move is a history row (:mod:`privacy.transitions`); the
office hears of a new request and the family of the decision through notices.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor, children_of
from afterschool.models import Role, RoleAssignment, Student
from afterschool.notifications import NoticeSpec, notices_send
from enrollment.models import Application

from . import exceptions as e
from .anonymise import student_anonymise
from .download import family_sections, family_zip
from .models import (
    RETENTION_MAX_DAYS,
    RETENTION_MIN_DAYS,
    DataExport,
    DataRequest,
    RetentionPolicy,
)
from .transitions import REQUEST_MACHINE

S = DataRequest.Status
K = DataRequest.Kind
TEXT_LIMIT = 1000
# A child whose form is in one of these, in a term not yet over, is still in the service.
IN_SERVICE = (Application.Status.SUBMITTED, Application.Status.RETURNED,
              Application.Status.CLASS_APPROVED, Application.Status.SCHOOL_APPROVED,
              Application.Status.PLACED)


def _require_office(actor: Actor) -> None:
    if actor is None or actor.school is None or not actor.has(Role.COORDINATOR):
        raise e.PrivacyError(e.OFFICE_ONLY)


# ---------------------------------------------------------------------------- retention


def retention_policy_for(school) -> RetentionPolicy:
    """The school's setting, or the default (unsaved) when the office never changed it."""
    return (RetentionPolicy.objects.filter(school=school).first()
            or RetentionPolicy(school=school))


@transaction.atomic
def retention_policy_update(*, actor: Actor, retention_days) -> RetentionPolicy:
    _require_office(actor)
    try:
        days = int(retention_days)
    except (TypeError, ValueError):
        days = None
    if days is None or not RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS:
        raise e.PrivacyError(e.RETENTION_RANGE.format(
            low=RETENTION_MIN_DAYS, high=RETENTION_MAX_DAYS, value=retention_days),
            field="retention_days")
    policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(school=actor.school)
    policy.retention_days = days
    policy.updated_at = timezone.now()
    policy.updated_by = actor.user
    policy.full_clean()
    policy.save()
    return policy


# ---------------------------------------------------------------------------- the family


@transaction.atomic
def family_data_export(*, actor: Actor, ip_address: str | None = None) -> bytes:
    """The family's .zip (:mod:`privacy.download`), recorded as a :class:`DataExport` with how
    many rows of each part it handed out; the record is in the file too."""
    if actor is None or actor.school is None or not actor.has(Role.GUARDIAN) \
            or actor.guardian is None:
        raise e.PrivacyError(e.NOT_GUARDIAN)
    now = timezone.now()
    export = DataExport(school=actor.school, guardian=actor.guardian, user=actor.user,
                        ip_address=ip_address or None, at=now)
    export.full_clean(exclude=["sections"])
    export.save()
    sections = family_sections(actor)
    export.sections = {s.key: len(s.rows) for s in sections}
    export.save(update_fields=["sections"])
    return family_zip(actor, sections=sections, now=now)


@transaction.atomic
def data_request_create(*, actor: Actor, kind: str, text: str,
                        student: Student | None = None) -> DataRequest:
    """A guardian's correction or deletion request about one of their children (or, for a
    correction, their own details: ``student=None``)."""
    if actor is None or actor.school is None or not actor.has(Role.GUARDIAN) \
            or actor.guardian is None:
        raise e.PrivacyError(e.NOT_GUARDIAN)
    if kind not in K.values:
        raise e.PrivacyError(e.TEXT_REQUIRED, field="kind")
    text = (text or "").strip()
    if not text:
        raise e.PrivacyError(e.TEXT_REQUIRED, field="text")
    if len(text) > TEXT_LIMIT:
        raise e.PrivacyError(e.TEXT_TOO_LONG.format(limit=TEXT_LIMIT, length=len(text)),
                             field="text")
    if student is None and kind == K.DELETION:
        raise e.PrivacyError(e.DELETION_NEEDS_CHILD, field="student")
    if student is not None and not children_of(actor).filter(pk=student.pk).exists():
        raise e.PrivacyError(e.NOT_YOUR_CHILD, field="student")
    pending = DataRequest.objects.filter(guardian=actor.guardian, student=student, kind=kind,
                                         status=S.PENDING)
    subject = student.name if student else "您本人的信息"
    if pending.exists():
        raise e.PrivacyError(e.ALREADY_PENDING.format(subject=subject, kind=K(kind).label))
    request = DataRequest(school=actor.school, guardian=actor.guardian, student=student,
                          kind=kind, text=text, created_by=actor.user)
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # the same request sent twice at the same moment
        raise e.PrivacyError(e.ALREADY_PENDING.format(subject=subject,
                                                      kind=K(kind).label)) from None
    _tell_office(request)
    return request


def _tell_office(request: DataRequest) -> None:
    offices = (RoleAssignment.objects.filter(school=request.school, role=Role.COORDINATOR,
                                             user__is_active=True).select_related("user"))
    url = reverse("privacy:office_detail", args=[request.pk])
    notices_send(school=request.school, specs=[
        NoticeSpec(user=ra.user, title=f"新的个人信息{request.get_kind_display()}待处理",
                   body=f"家长提交了一份{request.get_kind_display()}，请在 15 个工作日内办理或说明理由。",
                   url=url)
        for ra in offices])


def _locked(request: DataRequest, actor: Actor) -> DataRequest:
    request = (DataRequest.objects.select_for_update(of=("self",))
               .select_related("school", "guardian__user", "student").get(pk=request.pk))
    if request.school_id != actor.school.pk:
        raise e.PrivacyError(e.OFFICE_ONLY)
    return request


@transaction.atomic
def data_request_withdraw(*, actor: Actor, request: DataRequest) -> DataRequest:
    if actor is None or actor.school is None or actor.guardian is None:
        raise e.PrivacyError(e.NOT_GUARDIAN)
    request = _locked(request, actor)
    REQUEST_MACHINE.transition(request, S.WITHDRAWN, actor=actor,
                               in_scope=lambda role: request.guardian_id == actor.guardian.pk)
    return request


# ---------------------------------------------------------------------------- the office


def still_served(student: Student, *, today=None) -> Application | None:
    """The child's form that keeps them in the service (a term not yet over), or None."""
    today = today or timezone.localdate()
    return (Application.objects.filter(student=student, term__end_date__gte=today,
                                       status__in=IN_SERVICE, participates=True)
            .select_related("term").first())


@transaction.atomic
def data_request_carry_out(*, actor: Actor, request: DataRequest, comment: str) -> DataRequest:
    """Done: a correction after the office changed the details (``comment`` says which); a
    deletion anonymises the child (and a guardian with no other child) here and now."""
    _require_office(actor)
    request = _locked(request, actor)
    comment = (comment or "").strip()
    move = REQUEST_MACHINE.check(request.status, S.DONE)
    REQUEST_MACHINE.authorise(move, actor)
    if not comment and request.kind == K.CORRECTION:
        raise e.RequestTransitionRefused(e.OUTCOME_REQUIRED)
    if request.kind == K.DELETION:
        served = still_served(request.student)
        if served is not None:
            raise e.RequestTransitionRefused(e.STILL_SERVED.format(
                student=request.student.name, status=served.get_status_display()))
        done = student_anonymise(request.student)
        summary = "、".join(f"{kind} {n} 条" for kind, n in done.items() if n)
        comment = "；".join(filter(None, [comment, f"已匿名化：{summary}"]))
        request.refresh_from_db(fields=["text", "outcome"])
        # A guardian with no other child was anonymised with the child: no login to tell.
        request.guardian.refresh_from_db()
    REQUEST_MACHINE.transition(request, S.DONE, actor=actor, comment=comment, values={
        "outcome": comment, "decided_by": actor.user, "decided_at": timezone.now()})
    _tell_family(request)
    return request


@transaction.atomic
def data_request_refuse(*, actor: Actor, request: DataRequest, legal_reason: str,
                        comment: str = "") -> DataRequest:
    """Not done, for a legal reason the family reads (chosen, and explained in words)."""
    _require_office(actor)
    request = _locked(request, actor)
    comment = (comment or "").strip()
    if legal_reason not in DataRequest.LegalReason.values:
        raise e.RequestTransitionRefused(e.REASON_REQUIRED)
    if legal_reason == DataRequest.LegalReason.OTHER and not comment:
        raise e.RequestTransitionRefused(e.OTHER_REASON_NEEDS_TEXT)
    label = DataRequest.LegalReason(legal_reason).label
    history = f"{label}。{comment}" if comment else label
    REQUEST_MACHINE.transition(request, S.REFUSED, actor=actor, comment=history, values={
        "legal_reason": legal_reason, "outcome": comment, "decided_by": actor.user,
        "decided_at": timezone.now()})
    _tell_family(request)
    return request


def _tell_family(request: DataRequest) -> None:
    user = request.guardian.user
    if user is None:  # the guardian was anonymised with the child: no login here any more
        return
    notices_send(school=request.school, specs=[NoticeSpec(
        user=user, title=f"您的{request.get_kind_display()}{request.get_status_display()}",
        body=request.outcome, url=reverse("privacy:mine"), email=request.guardian.email,
        sms=True)])
