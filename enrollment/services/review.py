"""The review workflow: every status change of an application, one at a time or in bulk.

Every status change goes through :func:`application_transition` (one row) or
:func:`applications_transition_bulk` (many rows, one UPDATE), both along
``enrollment.transitions.TRANSITIONS`` through its shared state machine. Side effects — notices
to the guardians, the ``application_withdrawn`` signal — are queued with
``transaction.on_commit`` so a rolled-back decision tells nobody anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone

from afterschool.access import Actor
from afterschool.dispatch import publish_on_commit
from afterschool.formatting import date_text
from afterschool.models import Role, StudentGuardian

from .. import exceptions
from ..access import in_scope, is_guardian_of
from ..models import Agreement, Application, ApplicationTransition, PrivacyConsent, PrivacyNotice
from ..selectors import current_agreement, current_notice, standing_kinds
from ..signals import application_withdrawn
from ..transitions import APPROVE_NEXT, EDITABLE, MACHINE, Move, move_for
from .common import lock_application, status_label
from .notifications import mark_not_notified
from .term import window_check

Status = Application.Status
# Consent refusals name the form's tick they are about.
CONSENT_FIELDS = {exceptions.NOTICE_MISSING: "consent_personal",
                  exceptions.CONSENT_REQUIRED: "consent_personal",
                  exceptions.SENSITIVE_CONSENT_REQUIRED: "consent_sensitive"}


def _missing_for_submit(application: Application, agreement: Agreement | None,
                        notice: PrivacyNotice | None = None,
                        consented: frozenset | set = frozenset()) -> str | None:
    """Why this form cannot be submitted yet, or None. Uses prefetched rows when present.

    ``consented`` are the parts of ``notice`` (the school's current one) the child's guardians
    have consented to and not withdrawn.
    """
    if application.participates is None:
        return exceptions.ANSWER_REQUIRED
    if application.participates is False:
        return None  # a declined form needs no choices and no service agreement
    if not application.weekdays:
        return exceptions.WEEKDAYS_REQUIRED
    if not application.dismissal:
        return exceptions.DISMISSAL_REQUIRED
    if (application.dismissal == Application.Dismissal.PICKED_UP
            and not list(application.pickup_persons.all())):
        return exceptions.PICKUP_PERSON_REQUIRED
    if not application.contact_phone:
        return exceptions.CONTACT_PHONE_REQUIRED
    if notice is None:
        return exceptions.NOTICE_MISSING
    if PrivacyConsent.Kind.PERSONAL not in consented:
        return (exceptions.CONSENT_RENEW.format(version=notice.version) if notice.version > 1
                else exceptions.CONSENT_REQUIRED)
    if ((application.health_notes or application.allergies)
            and PrivacyConsent.Kind.SENSITIVE not in consented):
        return exceptions.SENSITIVE_CONSENT_REQUIRED
    if agreement is None:
        return exceptions.AGREEMENT_MISSING
    versions = {s.agreement_id for s in application.signatures.all()}
    if agreement.pk not in versions:
        return exceptions.AGREEMENT_RESIGN if versions else exceptions.AGREEMENT_UNSIGNED
    return None


def _stale_message(actor: Actor | None, application: Application) -> str:
    status = status_label(application.status)
    if actor is not None and actor.has(Role.GUARDIAN) and is_guardian_of(actor,
                                                                           application.student_id):
        return exceptions.STALE_FOR_GUARDIAN.format(status=status)
    return exceptions.STALE_FOR_REVIEWER.format(status=status)


def _authorise(actor: Actor | None, application: Application, move: Move) -> str:
    return MACHINE.authorise(move, actor,
                             in_scope=lambda role: in_scope(actor, role, application))


def _values_for(*, to_status: str, from_status: str, comment: str, now: dt.datetime,
                withdrawn_on: dt.date | None) -> dict:
    """The columns a move writes besides status and revision: the same for every row."""
    values = {"status": to_status, "status_changed_at": now, "updated_at": now}
    if to_status == Status.SUBMITTED and from_status in EDITABLE:
        values.update(submitted_at=now, decision_comment="")
    elif to_status == Status.WITHDRAWN:
        if withdrawn_on is None:
            raise exceptions.ApplicationInvalid(exceptions.WITHDRAW_DATE_REQUIRED,
                                                field="withdrawn_on")
        today = timezone.localdate(now)
        if withdrawn_on < today:
            raise exceptions.ApplicationInvalid(
                exceptions.WITHDRAW_DATE_IN_PAST.format(today=date_text(today)),
                field="withdrawn_on")
        values.update(withdrawn_on=withdrawn_on, withdraw_reason=comment[:200])
    elif from_status == Status.WITHDRAWN:
        # Rejoining: the form is current again; the withdrawal's date and reason stay in the
        # history row of that move.
        values.update(withdrawn_on=None, withdraw_reason="", decision_comment="")
    elif to_status != Status.PLACED:
        values["decision_comment"] = comment
    return values


def _check_preconditions(applications: Sequence[Application], to_status: str,
                         now: dt.datetime) -> None:
    if to_status == Status.SUBMITTED:
        filling = [a for a in applications if a.status in EDITABLE]
        if not filling:
            return
        # A first submission only while the window is open; a correction also after it.
        for application in filling:
            if application.status == Status.DRAFT:
                window_check(application.term, now)
        prefetch_related_objects(filling, "pickup_persons", "signatures")
        agreements, notices, consented = {}, {}, {}
        for application in filling:
            if application.school_id not in notices:
                notices[application.school_id] = current_notice(application.school_id)
                consented.update(standing_kinds(
                    student_ids=[a.student_id for a in filling
                                 if a.school_id == application.school_id],
                    notice=notices[application.school_id]))
        for application in filling:
            if application.term_id not in agreements:
                agreements[application.term_id] = current_agreement(application.term)
            problem = _missing_for_submit(application, agreements[application.term_id],
                                          notices[application.school_id],
                                          consented.get(application.student_id, set()))
            notice = notices[application.school_id]
            if problem in CONSENT_FIELDS or (notice is not None and problem
                                             == exceptions.CONSENT_RENEW.format(
                                                 version=notice.version)):
                raise exceptions.ConsentMissing(
                    problem, field=CONSENT_FIELDS.get(problem, "consent_personal"))
            if problem:
                unsigned = (exceptions.AGREEMENT_UNSIGNED, exceptions.AGREEMENT_RESIGN,
                            exceptions.AGREEMENT_MISSING)
                error = (exceptions.AgreementNotSigned if problem in unsigned
                         else exceptions.ApplicationInvalid)
                raise error(problem)
    elif to_status == Status.DRAFT:
        # Rejoining after a withdrawal: only while families may still answer.
        for application in applications:
            window_check(application.term, now)
    elif to_status == Status.PLACED:
        for application in applications:
            if application.participates is not True:
                raise exceptions.InvalidTransition(
                    exceptions.PLACE_NOT_PARTICIPATING.format(student=application.student))


def _queue_side_effects(applications: Sequence[Application],
                        transitions: Sequence[ApplicationTransition], move: Move,
                        notify: bool) -> None:
    ids = [t.pk for t in transitions]
    if move.notify and notify and transitions:
        from ..tasks import transitions_notify_task

        # The empty notified_at is the outbox: if the broker is down the decision still
        # stands, and the beat sweep (transitions_sweep_task) tells the guardians later.
        publish_on_commit(transitions_notify_task, ids)
    elif ids:
        mark_not_notified(ids)
    for application in applications:
        if application.status == Status.WITHDRAWN:
            transaction.on_commit(
                lambda app=application: application_withdrawn.send(sender=Application,
                                                                    application=app))


@transaction.atomic
def application_transition(
    *,
    application: Application,
    to_status: str,
    actor: Actor | None,
    comment: str = "",
    withdrawn_on: dt.date | None = None,
    expected_status: str | None = None,
    expected_revision: int | None = None,
) -> Application:
    """Move one application along the TRANSITIONS table; the only way its status changes.

    The row is locked, then compared with what the person saw (``expected_status`` and
    ``expected_revision``, by default the values on the instance passed in): if someone else
    acted first, this person gets ``StaleApplication`` naming the current status instead of
    silently overwriting. ``actor=None`` is the system (only where the table allows it).
    """
    expected_status = expected_status or application.status
    expected_revision = application.revision if expected_revision is None else expected_revision
    locked = lock_application(application)
    if locked.status != expected_status or locked.revision != expected_revision:
        raise exceptions.StaleApplication(_stale_message(actor, locked))
    comment = (comment or "").strip()
    move = MACHINE.check(locked.status, to_status)
    role = _authorise(actor, locked, move)
    MACHINE.require_comment(move, comment)
    now = timezone.now()
    from_status = locked.status
    values = _values_for(to_status=to_status, from_status=from_status, comment=comment, now=now,
                         withdrawn_on=withdrawn_on)
    _check_preconditions([locked], to_status, now)

    transition = MACHINE.apply(locked, to_status, actor=actor, role=role, comment=comment,
                               values={**values, "revision": locked.revision + 1}, at=now)
    _queue_side_effects([locked], [transition], move, notify=True)
    return locked


@transaction.atomic
def applications_transition_bulk(
    *,
    application_ids: Iterable[int],
    to_status: str,
    actor: Actor | None,
    comment: str = "",
    withdrawn_on: dt.date | None = None,
    expected_revisions: dict[int, int] | None = None,
    notify: bool = True,
) -> list[Application]:
    """The same move for many applications at once: all of them, or none.

    Rows are locked in id order (so two bulk actions cannot deadlock), checked against the
    same table, roles and scope as :func:`application_transition`, updated with one UPDATE
    and recorded with one bulk INSERT — a constant number of queries for 1,000 rows.
    ``expected_revisions`` (id → revision seen) refuses the batch if any row changed.
    """
    ids = sorted({int(pk) for pk in application_ids})
    if not ids:
        return []
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("student__homeroom", "term").filter(pk__in=ids).order_by("pk"))
    school_id = actor.school.pk if actor is not None and actor.school is not None else None
    if len(applications) != len(ids) or (
            actor is not None and any(a.school_id != school_id for a in applications)):
        raise exceptions.InvalidTransition(exceptions.PLACE_OTHER_SCHOOL)
    if expected_revisions:
        stale = [a for a in applications
                 if a.pk in expected_revisions and a.revision != expected_revisions[a.pk]]
        if stale:
            raise exceptions.StaleApplication("；".join(_stale_message(actor, a).replace(
                "该意向书", f"{a.student.name}的意向书") for a in stale[:10]))
    comment = (comment or "").strip()
    wrong = [a for a in applications if move_for(a.status, to_status) is None]
    if wrong:
        names = "、".join(f"{a.student.name}（{status_label(a.status)}）" for a in wrong[:10])
        if to_status == Status.PLACED:
            raise exceptions.InvalidTransition(exceptions.PLACE_WRONG_STATUS.format(students=names))
        raise exceptions.InvalidTransition(exceptions.TRANSITION_NOT_ALLOWED.format(
            current=names, target=status_label(to_status)))
    moves = {a.pk: move_for(a.status, to_status) for a in applications}
    roles = _authorise_bulk(actor, applications, moves)
    for application in applications:
        MACHINE.require_comment(moves[application.pk], comment)
    now = timezone.now()
    _check_preconditions(applications, to_status, now)

    transitions = []
    by_from: dict[str, list[Application]] = {}
    for application in applications:
        by_from.setdefault(application.status, []).append(application)
    for from_status, group in by_from.items():
        values = _values_for(to_status=to_status, from_status=from_status, comment=comment,
                             now=now, withdrawn_on=withdrawn_on)
        Application.objects.filter(pk__in=[a.pk for a in group]).update(
            **values, revision=F("revision") + 1)
        for application in group:
            for name, value in values.items():
                setattr(application, name, value)
            application.revision += 1
            transitions.append(MACHINE.history_row(
                application, from_status=from_status, to_status=to_status, actor=actor,
                role=roles[application.pk], comment=comment, at=now))
    # One INSERT, split only where the backend's parameter limit needs it: placing a whole
    # school on publishing stays a fixed number of queries.
    ApplicationTransition.objects.bulk_create(transitions)
    if transitions and transitions[0].pk is None:  # a backend that returns no ids
        transitions = list(ApplicationTransition.objects.filter(application_id__in=ids, at=now,
                                                                to_status=to_status))
    # Every move to one target shares its notify rule (withdrawal from anywhere, etc.).
    _queue_side_effects(applications, transitions, next(iter(moves.values())), notify=notify)
    return applications


def _authorise_bulk(actor: Actor | None, applications: Sequence[Application],
                    moves: dict[int, Move]) -> dict[int, str]:
    child_ids: set[int] = set()
    if actor is not None and actor.guardian is not None and actor.has(Role.GUARDIAN):
        child_ids = set(StudentGuardian.objects.filter(
            guardian=actor.guardian, student_id__in=[a.student_id for a in applications])
            .values_list("student_id", flat=True))

    def scope(application):
        # The guardian's children are known in one query; the other roles need no query.
        return lambda role: (application.student_id in child_ids if role == Role.GUARDIAN
                             else in_scope(actor, role, application))

    roles: dict[int, str] = {}
    for application in applications:
        try:
            roles[application.pk] = MACHINE.authorise(moves[application.pk], actor,
                                                      in_scope=scope(application))
        except exceptions.InvalidTransition as exc:
            raise exceptions.InvalidTransition(f"{application.student.name}：{exc.message}") from exc
    return roles


def application_submit(*, application: Application, actor: Actor,
                       expected_revision: int | None = None) -> Application:
    """Submit a draft, or resubmit a returned form."""
    return application_transition(application=application, to_status=Status.SUBMITTED, actor=actor,
                                  expected_revision=expected_revision)


def application_withdraw(*, application: Application, actor: Actor, withdrawn_on: dt.date,
                         reason: str, expected_revision: int | None = None) -> Application:
    """Leave the service from a date (today or later): no approval, the service is voluntary."""
    return application_transition(application=application, to_status=Status.WITHDRAWN, actor=actor,
                                  comment=reason, withdrawn_on=withdrawn_on,
                                  expected_revision=expected_revision)


def application_rejoin(*, application: Application, actor: Actor,
                       expected_revision: int | None = None) -> Application:
    """A family that withdrew comes back while the window is open.

    The one form of this student and term (a database constraint) is reopened as a draft with
    what was filled in before, to be checked, signed if the agreement changed, and submitted
    for review again; the withdrawal and this return stay in its history.
    """
    return application_transition(application=application, to_status=Status.DRAFT, actor=actor,
                                  expected_revision=expected_revision)


def application_place(*, application: Application, actor: Actor | None,
                      comment: str = "") -> Application:
    """The arrangement app publishes: a school-approved application is placed."""
    return application_transition(application=application, to_status=Status.PLACED, actor=actor,
                                  comment=comment)


def applications_place(*, application_ids: Iterable[int], actor: Actor | None,
                       comment: str = "", notify: bool = True) -> list[Application]:
    """Place many at once (a published arrangement): all or none, constant queries.

    ``notify=False`` lets the arrangement app send its own notice with the section details.
    """
    return applications_transition_bulk(application_ids=application_ids, to_status=Status.PLACED,
                                        actor=actor, comment=comment, notify=notify)


@transaction.atomic
def applications_approve(*, actor: Actor, expected_revisions: dict[int, int]) -> int:
    """Bulk "通过": each selected form moves to its next review step, all or none.

    Submitted forms become class-approved (homeroom teacher or office); class-approved ones
    become school-approved (office only). Rows changed since the page loaded refuse the batch.
    """
    statuses = dict(Application.objects.filter(pk__in=list(expected_revisions))
                    .values_list("pk", "status"))
    if len(statuses) != len(expected_revisions):
        raise exceptions.InvalidTransition(exceptions.PLACE_OTHER_SCHOOL)
    groups: dict[str, list[int]] = {}
    for pk, status in statuses.items():
        target = APPROVE_NEXT.get(status)
        if target is None:
            application = Application.objects.select_related("student").get(pk=pk)
            raise exceptions.InvalidTransition(exceptions.TRANSITION_NOT_ALLOWED.format(
                current=f"{application.student.name}（{status_label(status)}）",
                target="审核通过"))
        groups.setdefault(target, []).append(pk)
    done = 0
    for target, ids in sorted(groups.items()):
        done += len(applications_transition_bulk(
            application_ids=ids, to_status=target, actor=actor,
            expected_revisions={pk: expected_revisions[pk] for pk in ids}))
    return done

