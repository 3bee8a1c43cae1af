"""Writes of enrollment: the intention form, its signature, its review and the term's settings.

Every status change goes through :func:`application_transition` (one row) or
:func:`applications_transition_bulk` (many rows, one UPDATE), both along
``enrollment.transitions.TRANSITIONS``. Side effects — notices to the guardians, the
``application_withdrawn`` signal — are queued with ``transaction.on_commit`` so a rolled-back
decision tells nobody anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Model, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.cleaning import clean_phone, clean_text
from afterschool.models import WEEKDAY_LABELS, Role, Student, StudentGuardian, Term
from afterschool.services import notice_create

from .. import exceptions as e
from ..access import in_scope, is_guardian_of
from ..models import (
    Agreement,
    Application,
    ApplicationTransition,
    PickupPerson,
    Preference,
    Signature,
)
from ..selectors import courses_open_to, current_agreement
from ..signals import application_withdrawn
from ..transitions import EDITABLE, FINAL, MACHINE, Move, move_for

S = Application.Status


# ---------------------------------------------------------------------------- helpers

def format_moment(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def window_check(term: Term, at: dt.datetime | None = None) -> None:
    """Refuse unless the term's application window is open, saying when it opens/closed."""
    at = at or timezone.now()
    opens, closes = term.application_opens_at, term.application_closes_at
    if opens is None or closes is None:
        raise e.WindowClosed(e.WINDOW_NOT_SET)
    if term.window_is_open(at):
        return
    dates = {"opens": format_moment(opens), "closes": format_moment(closes)}
    if at < opens:
        raise e.WindowClosed(e.WINDOW_NOT_OPEN.format(**dates))
    raise e.WindowClosed(e.WINDOW_CLOSED.format(**dates))


def _status_label(status: str) -> str:
    return S(status).label


def _require_guardian(actor: Actor, student_id: int) -> None:
    if not is_guardian_of(actor, student_id):
        raise e.NotAGuardian()


def _require_coordinator(actor: Actor, school_id: int) -> None:
    if (actor is None or not actor.has(Role.COORDINATOR) or actor.school is None
            or actor.school.pk != school_id):
        raise e.EnrollmentError(e.COORDINATOR_ONLY)


def _full_clean(obj: Model, **kwargs) -> None:
    # A null-but-not-blank foreign key (created_by, actor) is legitimately empty for the
    # system actor; everything else is validated.
    exclude = [name for name in ("created_by", "actor", "signed_by", "published_by")
               if hasattr(obj, f"{name}_id") and getattr(obj, f"{name}_id") is None]
    obj.full_clean(exclude=exclude or None, **kwargs)


def _create_once(obj: Model, **lookup) -> tuple[Model, bool]:
    """Insert ``obj``, or return the row a concurrent request inserted first.

    The unique constraint decides, not a prior SELECT: two requests that both found nothing
    both try to insert; the loser's INSERT waits for the winner's commit, fails with
    IntegrityError, and fetches the winner's row.
    """
    model = type(obj)
    _full_clean(obj, validate_constraints=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return model.objects.get(**lookup), False
    return obj, True


# ---------------------------------------------------------------------------- filling in

@transaction.atomic
def application_start(*, student: Student, term: Term, actor: Actor) -> Application:
    """The guardian opens this term's form for a child: one per student per term, ever."""
    _require_guardian(actor, student.pk)
    if student.school_id != term.school_id:
        raise e.ApplicationInvalid(e.STUDENT_NOT_IN_TERM_SCHOOL)
    existing = Application.objects.filter(student=student, term=term).first()
    if existing is not None:
        return existing
    window_check(term)
    application = Application(
        school_id=student.school_id, term=term, student=student, created_by=actor.user,
        contact_phone=actor.guardian.phone if actor.guardian else "")
    application, _ = _create_once(application, student=student, term=term)
    return application


def _lock(application: Application) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("student__homeroom", "term", "school")
            .get(pk=application.pk))


def _clean_pickup_persons(rows: Iterable[dict]) -> list[dict]:
    cleaned = []
    for row in rows:
        name = clean_text(row.get("name"))
        relation = clean_text(row.get("relation"))
        raw_phone = clean_text(row.get("phone"))
        if not (name or relation or raw_phone):
            continue
        phone = clean_phone(raw_phone)
        if not (name and relation and phone):
            raise e.ApplicationInvalid(e.PICKUP_PERSON_INCOMPLETE, field="pickup_persons")
        cleaned.append({"name": name, "relation": relation, "phone": phone})
    return cleaned


@transaction.atomic
def application_update(
    *,
    application: Application,
    actor: Actor,
    expected_revision: int,
    participates: bool | None,
    weekdays: Sequence[int] = (),
    preferences: Sequence[Model] = (),
    dismissal: str = "",
    alone_consent: bool = False,
    bus_route: str = "",
    pickup_persons: Sequence[dict] = (),
    health_notes: str = "",
    allergies: str = "",
    contact_phone: str = "",
) -> Application:
    """Save the form's content (a draft, or a returned form being corrected).

    Refused when the row changed since the guardian loaded the form (``expected_revision``) —
    a teacher's decision is never overwritten by a stale edit — or when it is no longer
    editable. A draft may be edited only while the window is open; a form the school returned
    for correction may be corrected after it closes, or "return" would mean "reject".
    """
    locked = _lock(application)
    _require_guardian(actor, locked.student_id)
    if locked.revision != expected_revision:
        raise e.StaleApplication(e.STALE_FOR_GUARDIAN.format(status=_status_label(locked.status)))
    if locked.status not in EDITABLE:
        raise e.NotEditable(e.NOT_EDITABLE.format(status=_status_label(locked.status)))
    term = locked.term
    if locked.status == S.DRAFT:
        window_check(term)

    phone = ""
    if clean_text(contact_phone):
        phone = clean_phone(contact_phone)
        if not phone:
            raise e.ApplicationInvalid(e.PHONE_INVALID, field="contact_phone")

    if participates is False:
        # "We do not need it" is the whole answer: nothing else of the form applies.
        weekdays, preferences, pickups = [], [], []
        dismissal, alone_consent, bus_route = "", False, ""
    else:
        weekdays = sorted({int(d) for d in weekdays})
        service_days = set(term.service_weekdays)
        if not set(weekdays) <= service_days:
            days = "、".join(WEEKDAY_LABELS[d - 1] for d in sorted(service_days))
            raise e.ApplicationInvalid(e.WEEKDAYS_NOT_SERVICE_DAYS.format(days=days),
                                       field="weekdays")
        preferences = [c for c in preferences if c is not None]
        if len(preferences) > term.max_preferences:
            raise e.ApplicationInvalid(e.TOO_MANY_PREFERENCES.format(limit=term.max_preferences),
                                       field="preferences")
        if len({c.pk for c in preferences}) != len(preferences):
            raise e.ApplicationInvalid(e.DUPLICATE_PREFERENCE, field="preferences")
        if preferences:
            open_ids = set(courses_open_to(term=term, grade_id=locked.student.homeroom.grade_id)
                           .values_list("pk", flat=True))
            for course in preferences:
                if course.pk not in open_ids:
                    raise e.ApplicationInvalid(e.COURSE_NOT_OPEN.format(course=course),
                                               field="preferences")
        if dismissal and dismissal not in Application.Dismissal.values:
            raise e.ApplicationInvalid(e.DISMISSAL_REQUIRED, field="dismissal")
        if dismissal == Application.Dismissal.ALONE and not alone_consent:
            raise e.ApplicationInvalid(e.ALONE_NEEDS_CONSENT, field="alone_consent")
        bus_route = clean_text(bus_route)
        if dismissal == Application.Dismissal.BUS and not bus_route:
            raise e.ApplicationInvalid(e.BUS_NEEDS_ROUTE, field="bus_route")
        if dismissal != Application.Dismissal.BUS:
            bus_route = ""
        if dismissal != Application.Dismissal.ALONE:
            alone_consent = False
        pickups = _clean_pickup_persons(pickup_persons)

    locked.participates = participates
    locked.weekdays = weekdays
    locked.dismissal = dismissal
    locked.alone_consent = alone_consent
    locked.bus_route = bus_route
    locked.health_notes = health_notes.strip()
    locked.allergies = clean_text(allergies)
    locked.contact_phone = phone
    locked.revision += 1
    _full_clean(locked)
    locked.save()

    locked.preferences.all().delete()
    prefs = [Preference(application=locked, rank=rank, course=course)
             for rank, course in enumerate(preferences, start=1)]
    for pref in prefs:
        pref.full_clean(validate_constraints=False)
    Preference.objects.bulk_create(prefs)
    locked.pickup_persons.all().delete()
    people = [PickupPerson(application=locked, **row) for row in pickups]
    for person in people:
        person.full_clean()
    PickupPerson.objects.bulk_create(people)
    return locked


@transaction.atomic
def application_sign(*, application: Application, actor: Actor, signed_name: str,
                     ip_address: str | None = None) -> Signature:
    """The guardian signs the term's current agreement by typing their own name.

    The typed name must equal the signed-in guardian's name in the school's roster — not
    "any guardian of the child": the person accountable for the signature is the person
    signed in, so a mother cannot sign in the father's name. Signing the same version twice
    keeps the first signature.
    """
    _require_guardian(actor, application.student_id)
    if application.status in FINAL:
        raise e.SignatureRefused(e.SIGNATURE_CLOSED.format(status=_status_label(application.status)))
    agreement = current_agreement(application.term)
    if agreement is None:
        raise e.AgreementNotSigned(e.AGREEMENT_MISSING)
    typed = "".join(clean_text(signed_name).split())
    if not typed:
        raise e.SignatureRefused(e.SIGNATURE_NAME_REQUIRED)
    registered = "".join(clean_text(actor.guardian.name).split())
    if typed != registered:
        raise e.SignatureRefused(e.SIGNATURE_NAME_MISMATCH.format(name=actor.guardian.name))
    signature = Signature(application=application, agreement=agreement, signed_by=actor.user,
                          signed_name=typed, signed_at=timezone.now(), ip_address=ip_address or None)
    signature, _ = _create_once(signature, application=application, agreement=agreement)
    return signature


# ---------------------------------------------------------------------------- the workflow

def _missing_for_submit(application: Application, agreement: Agreement | None) -> str | None:
    """Why this form cannot be submitted yet, or None. Uses prefetched rows when present."""
    if application.participates is None:
        return e.ANSWER_REQUIRED
    if application.participates is False:
        return None  # a declined form needs no choices and no service agreement
    if not application.weekdays:
        return e.WEEKDAYS_REQUIRED
    if not application.dismissal:
        return e.DISMISSAL_REQUIRED
    if (application.dismissal == Application.Dismissal.PICKED_UP
            and not list(application.pickup_persons.all())):
        return e.PICKUP_PERSON_REQUIRED
    if not application.contact_phone:
        return e.CONTACT_PHONE_REQUIRED
    if agreement is None:
        return e.AGREEMENT_MISSING
    versions = {s.agreement_id for s in application.signatures.all()}
    if agreement.pk not in versions:
        return e.AGREEMENT_RESIGN if versions else e.AGREEMENT_UNSIGNED
    return None


def _stale_message(actor: Actor | None, application: Application) -> str:
    status = _status_label(application.status)
    if actor is not None and actor.has(Role.GUARDIAN) and is_guardian_of(actor,
                                                                           application.student_id):
        return e.STALE_FOR_GUARDIAN.format(status=status)
    return e.STALE_FOR_REVIEWER.format(status=status)


def _authorise(actor: Actor | None, application: Application, move: Move) -> str:
    return MACHINE.authorise(move, actor,
                             in_scope=lambda role: in_scope(actor, role, application))


def _values_for(*, to_status: str, from_status: str, comment: str, now: dt.datetime,
                withdrawn_on: dt.date | None) -> dict:
    """The columns a move writes besides status and revision: the same for every row."""
    values = {"status": to_status, "status_changed_at": now, "updated_at": now}
    if to_status == S.SUBMITTED and from_status in EDITABLE:
        values.update(submitted_at=now, decision_comment="")
    elif to_status == S.WITHDRAWN:
        if withdrawn_on is None:
            raise e.ApplicationInvalid(e.WITHDRAW_DATE_REQUIRED, field="withdrawn_on")
        today = timezone.localdate(now)
        if withdrawn_on < today:
            raise e.ApplicationInvalid(
                e.WITHDRAW_DATE_IN_PAST.format(today=f"{today.year}年{today.month}月{today.day}日"),
                field="withdrawn_on")
        values.update(withdrawn_on=withdrawn_on, withdraw_reason=comment[:200])
    elif to_status != S.PLACED:
        values["decision_comment"] = comment
    return values


def _check_preconditions(applications: Sequence[Application], to_status: str,
                         now: dt.datetime) -> None:
    if to_status == S.SUBMITTED:
        filling = [a for a in applications if a.status in EDITABLE]
        if not filling:
            return
        # A first submission only while the window is open; a correction also after it.
        for application in filling:
            if application.status == S.DRAFT:
                window_check(application.term, now)
        prefetch_related_objects(filling, "pickup_persons", "signatures")
        agreements = {}
        for application in filling:
            if application.term_id not in agreements:
                agreements[application.term_id] = current_agreement(application.term)
            problem = _missing_for_submit(application, agreements[application.term_id])
            if problem:
                error = (e.AgreementNotSigned if problem in (e.AGREEMENT_UNSIGNED, e.AGREEMENT_RESIGN,
                                                             e.AGREEMENT_MISSING)
                         else e.ApplicationInvalid)
                raise error(problem)
    elif to_status == S.PLACED:
        for application in applications:
            if application.participates is not True:
                raise e.InvalidTransition(
                    e.PLACE_NOT_PARTICIPATING.format(student=application.student))


def _queue_side_effects(applications: Sequence[Application],
                        transitions: Sequence[ApplicationTransition], move: Move,
                        notify: bool) -> None:
    if move.notify and notify and transitions:
        from ..tasks import transitions_notify_task

        ids = [t.pk for t in transitions]
        transaction.on_commit(lambda: transitions_notify_task.delay(ids))
    for application in applications:
        if application.status == S.WITHDRAWN:
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
    locked = _lock(application)
    if locked.status != expected_status or locked.revision != expected_revision:
        raise e.StaleApplication(_stale_message(actor, locked))
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
        raise e.InvalidTransition(e.PLACE_OTHER_SCHOOL)
    if expected_revisions:
        stale = [a for a in applications
                 if a.pk in expected_revisions and a.revision != expected_revisions[a.pk]]
        if stale:
            raise e.StaleApplication("；".join(_stale_message(actor, a).replace(
                "该意向书", f"{a.student.name}的意向书") for a in stale[:10]))
    comment = (comment or "").strip()
    wrong = [a for a in applications if move_for(a.status, to_status) is None]
    if wrong:
        names = "、".join(f"{a.student.name}（{_status_label(a.status)}）" for a in wrong[:10])
        if to_status == S.PLACED:
            raise e.InvalidTransition(e.PLACE_WRONG_STATUS.format(students=names))
        raise e.InvalidTransition(e.TRANSITION_NOT_ALLOWED.format(
            current=names, target=_status_label(to_status)))
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
    ApplicationTransition.objects.bulk_create(transitions, batch_size=500)
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
        except e.InvalidTransition as exc:
            raise e.InvalidTransition(f"{application.student.name}：{exc.message}") from exc
    return roles


def application_submit(*, application: Application, actor: Actor,
                       expected_revision: int | None = None) -> Application:
    """Submit a draft, or resubmit a returned form."""
    return application_transition(application=application, to_status=S.SUBMITTED, actor=actor,
                                  expected_revision=expected_revision)


def application_withdraw(*, application: Application, actor: Actor, withdrawn_on: dt.date,
                         reason: str, expected_revision: int | None = None) -> Application:
    """Leave the service from a date (today or later): no approval, the service is voluntary."""
    return application_transition(application=application, to_status=S.WITHDRAWN, actor=actor,
                                  comment=reason, withdrawn_on=withdrawn_on,
                                  expected_revision=expected_revision)


def application_place(*, application: Application, actor: Actor | None,
                      comment: str = "") -> Application:
    """The arrangement app publishes: a school-approved application is placed."""
    return application_transition(application=application, to_status=S.PLACED, actor=actor,
                                  comment=comment)


def applications_place(*, application_ids: Iterable[int], actor: Actor | None,
                       comment: str = "", notify: bool = True) -> list[Application]:
    """Place many at once (a published arrangement): all or none, constant queries.

    ``notify=False`` lets the arrangement app send its own notice with the section details.
    """
    return applications_transition_bulk(application_ids=application_ids, to_status=S.PLACED,
                                        actor=actor, comment=comment, notify=notify)


# ---------------------------------------------------------------------------- notifications

NOTICE_TEXT = {
    S.SUBMITTED: ("{student}的课后服务意向书已提交", "意向书已提交，等待班主任审核。"),
    S.CLASS_APPROVED: ("{student}的课后服务意向书：班主任已审核通过",
                       "班主任已审核通过，等待学校复核。"),
    S.RETURNED: ("{student}的课后服务意向书被退回修改",
                 "请登录系统按意见修改后重新提交。"),
    S.CLASS_REJECTED: ("{student}的课后服务意向书：班主任审核未通过", ""),
    S.SCHOOL_APPROVED: ("{student}的课后服务意向书：学校已复核通过",
                        "学校已复核通过，等待统筹安排，安排结果将另行通知。"),
    S.SCHOOL_REJECTED: ("{student}的课后服务意向书：学校复核未通过", ""),
    S.PLACED: ("{student}的课后服务已统筹安排", "请登录系统查看课程与时间安排。"),
    S.WITHDRAWN: ("{student}已退出课后服务", "退出自 {withdrawn_on} 起生效。"),
}


def transitions_notify(*, transition_ids: Sequence[int]) -> int:
    """Tell each guardian with a login (but the one who acted) about these moves, once.

    An in-app notice for each, and an e-mail where an address is known (queued by
    ``notice_create`` after commit). Safe to run twice: a transition is notified once.
    """
    sent = 0
    with transaction.atomic():
        transitions = list(
            ApplicationTransition.objects.select_for_update(of=("self",))
            .filter(pk__in=list(transition_ids), notified_at__isnull=True)
            .select_related("application__student", "application__school"))
        if not transitions:
            return 0
        links = (StudentGuardian.objects
                 .filter(student_id__in={t.application.student_id for t in transitions},
                         guardian__user__isnull=False)
                 .select_related("guardian__user").order_by("pk"))
        guardians_of: dict[int, list] = {}
        for link in links:
            guardians_of.setdefault(link.student_id, []).append(link.guardian)
        for transition in transitions:
            application = transition.application
            title, body = NOTICE_TEXT.get(transition.to_status, ("", ""))
            if not title:
                continue
            student = application.student.name
            withdrawn_on = application.withdrawn_on
            body = body.format(withdrawn_on=(f"{withdrawn_on.year}年{withdrawn_on.month}月"
                                             f"{withdrawn_on.day}日" if withdrawn_on else ""))
            if transition.comment:
                label = "原因" if transition.to_status in (S.RETURNED, S.CLASS_REJECTED,
                                                          S.SCHOOL_REJECTED, S.WITHDRAWN) else "意见"
                body = f"{label}：{transition.comment}。{body}"
            url = reverse("enrollment:detail", args=[application.pk])
            for guardian in guardians_of.get(application.student_id, []):
                if guardian.user_id == transition.actor_id:
                    continue
                notice_create(user=guardian.user, school=application.school,
                              title=title.format(student=student), body=body, url=url,
                              email=guardian.email)
                sent += 1
        ApplicationTransition.objects.filter(pk__in=[t.pk for t in transitions]).update(
            notified_at=timezone.now())
    return sent


# ---------------------------------------------------------------------------- the term

TERM_ENROLLMENT_FIELDS = ("application_opens_at", "application_closes_at", "max_preferences",
                          "service_content", "schedule_text", "safety_text",
                          "voluntary_statement")


@transaction.atomic
def term_update_enrollment(
    *,
    term: Term,
    actor: Actor,
    application_opens_at: dt.datetime | None,
    application_closes_at: dt.datetime | None,
    max_preferences: int,
    service_content: str,
    schedule_text: str,
    safety_text: str,
    voluntary_statement: str,
) -> Term:
    """The office sets what guardians read before filling in, and when they may."""
    _require_coordinator(actor, term.school_id)
    if (application_opens_at and application_closes_at
            and application_opens_at >= application_closes_at):
        raise e.ApplicationInvalid(e.WINDOW_ORDER, field="application_closes_at")
    term.application_opens_at = application_opens_at
    term.application_closes_at = application_closes_at
    term.max_preferences = max_preferences
    term.service_content = service_content.strip()
    term.schedule_text = schedule_text.strip()
    term.safety_text = safety_text.strip()
    term.voluntary_statement = voluntary_statement.strip()
    term.full_clean()
    term.save(update_fields=list(TERM_ENROLLMENT_FIELDS))
    return term


@transaction.atomic
def agreement_publish(*, term: Term, actor: Actor, service_text: str,
                      safety_text: str) -> Agreement:
    """A new version of the term's agreement: every participating form must be signed again."""
    _require_coordinator(actor, term.school_id)
    # Lock the term so two publishers get versions n and n+1, not both n.
    Term.objects.select_for_update().filter(pk=term.pk).first()
    last = term.agreements.aggregate(v=Max("version"))["v"] or 0
    agreement = Agreement(term=term, version=last + 1, service_text=service_text.strip(),
                          safety_text=safety_text.strip(), published_at=timezone.now(),
                          published_by=actor.user)
    _full_clean(agreement)
    agreement.save()
    return agreement



@transaction.atomic
def applications_approve(*, actor: Actor, expected_revisions: dict[int, int]) -> int:
    """Bulk "通过": each selected form moves to its next review step, all or none.

    Submitted forms become class-approved (homeroom teacher or office); class-approved ones
    become school-approved (office only). Rows changed since the page loaded refuse the batch.
    """
    from ..transitions import APPROVE_NEXT

    statuses = dict(Application.objects.filter(pk__in=list(expected_revisions))
                    .values_list("pk", "status"))
    if len(statuses) != len(expected_revisions):
        raise e.InvalidTransition(e.PLACE_OTHER_SCHOOL)
    groups: dict[str, list[int]] = {}
    for pk, status in statuses.items():
        target = APPROVE_NEXT.get(status)
        if target is None:
            application = Application.objects.select_related("student").get(pk=pk)
            raise e.InvalidTransition(e.TRANSITION_NOT_ALLOWED.format(
                current=f"{application.student.name}（{_status_label(status)}）",
                target="审核通过"))
        groups.setdefault(target, []).append(pk)
    done = 0
    for target, ids in sorted(groups.items()):
        done += len(applications_transition_bulk(
            application_ids=ids, to_status=target, actor=actor,
            expected_revisions={pk: expected_revisions[pk] for pk in ids}))
    return done
