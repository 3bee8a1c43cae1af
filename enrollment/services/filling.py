"""Filling in the intention form: open it, save its content, sign the agreement, submit it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from afterschool.access import Actor
from afterschool.cleaning import clean_phone, clean_text
from afterschool.formatting import weekdays_text
from afterschool.models import AccountEvent, Student, Term

from .. import exceptions
from ..models import Application, PickupPerson, Preference, Signature
from ..selectors import courses_open_to, current_agreement, needs_signature
from ..transitions import EDITABLE, FINAL
from .common import create_once, full_clean, lock_application, require_guardian, status_label
from .privacy import privacy_consent_give, require_sensitive_consent
from .review import application_submit
from .term import window_check

Status = Application.Status


@transaction.atomic
def application_start(*, student: Student, term: Term, actor: Actor) -> Application:
    """The guardian opens this term's form for a child: one per student per term, ever."""
    require_guardian(actor, student.pk)
    if student.school_id != term.school_id:
        raise exceptions.ApplicationInvalid(exceptions.STUDENT_NOT_IN_TERM_SCHOOL)
    existing = Application.objects.filter(student=student, term=term).first()
    if existing is not None:
        return existing
    window_check(term)
    application = Application(
        school_id=student.school_id, term=term, student=student, created_by=actor.user,
        contact_phone=actor.guardian.phone if actor.guardian else "")
    application, _ = create_once(application, student=student, term=term)
    return application


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
            raise exceptions.ApplicationInvalid(exceptions.PICKUP_PERSON_INCOMPLETE,
                                                field="pickup_persons")
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
    consent_personal: bool = False,
    consent_sensitive: bool = False,
    ip_address: str | None = None,
) -> Application:
    """Save the form's content (a draft, or a returned form being corrected).

    ``consent_personal``/``consent_sensitive`` are the form's two separate ticks: they record
    the guardian's consent on the school's current notice (with this address) before the
    content is checked. Health notes and allergies are refused without a standing consent to
    the sensitive part; unticked boxes withdraw nothing (that is the consent page's).

    Refused when the row changed since the guardian loaded the form (``expected_revision``) —
    a teacher's decision is never overwritten by a stale edit — or when it is no longer
    editable. A draft may be edited only while the window is open; a form the school returned
    for correction may be corrected after it closes, or "return" would mean "reject".
    """
    locked = lock_application(application)
    require_guardian(actor, locked.student_id)
    if locked.revision != expected_revision:
        raise exceptions.StaleApplication(
            exceptions.STALE_FOR_GUARDIAN.format(status=status_label(locked.status)))
    if locked.status not in EDITABLE:
        raise exceptions.NotEditable(
            exceptions.NOT_EDITABLE.format(status=status_label(locked.status)))
    term = locked.term
    if locked.status == Status.DRAFT:
        window_check(term)

    phone = ""
    if clean_text(contact_phone):
        phone = clean_phone(contact_phone)
        if not phone:
            raise exceptions.ApplicationInvalid(exceptions.PHONE_INVALID, field="contact_phone")

    if participates is False:
        # "We do not need it" is the whole answer: nothing else of the form applies.
        weekdays, preferences, pickups = [], [], []
        dismissal, alone_consent, bus_route = "", False, ""
    else:
        weekdays = sorted({int(d) for d in weekdays})
        service_days = set(term.service_weekdays)
        if not set(weekdays) <= service_days:
            raise exceptions.ApplicationInvalid(
                exceptions.WEEKDAYS_NOT_SERVICE_DAYS.format(days=weekdays_text(service_days)),
                field="weekdays")
        preferences = [c for c in preferences if c is not None]
        if len(preferences) > term.max_preferences:
            raise exceptions.ApplicationInvalid(
                exceptions.TOO_MANY_PREFERENCES.format(limit=term.max_preferences),
                field="preferences")
        if len({c.pk for c in preferences}) != len(preferences):
            raise exceptions.ApplicationInvalid(exceptions.DUPLICATE_PREFERENCE,
                                                field="preferences")
        if preferences:
            open_ids = set(courses_open_to(term=term, grade_id=locked.student.homeroom.grade_id)
                           .values_list("pk", flat=True))
            for course in preferences:
                if course.pk not in open_ids:
                    raise exceptions.ApplicationInvalid(
                        exceptions.COURSE_NOT_OPEN.format(course=course), field="preferences")
        if dismissal and dismissal not in Application.Dismissal.values:
            raise exceptions.ApplicationInvalid(exceptions.DISMISSAL_REQUIRED, field="dismissal")
        if dismissal == Application.Dismissal.ALONE and not alone_consent:
            raise exceptions.ApplicationInvalid(exceptions.ALONE_NEEDS_CONSENT,
                                                field="alone_consent")
        bus_route = clean_text(bus_route)
        if dismissal == Application.Dismissal.BUS and not bus_route:
            raise exceptions.ApplicationInvalid(exceptions.BUS_NEEDS_ROUTE, field="bus_route")
        if dismissal != Application.Dismissal.BUS:
            bus_route = ""
        if dismissal != Application.Dismissal.ALONE:
            alone_consent = False
        pickups = _clean_pickup_persons(pickup_persons)

    if consent_personal or consent_sensitive:
        privacy_consent_give(student=locked.student, actor=actor, personal=consent_personal,
                             sensitive=consent_sensitive, ip_address=ip_address)
    health_notes, allergies = health_notes.strip(), clean_text(allergies)
    require_sensitive_consent(student=locked.student, health_notes=health_notes,
                              allergies=allergies)

    locked.participates = participates
    locked.weekdays = weekdays
    locked.dismissal = dismissal
    locked.alone_consent = alone_consent
    locked.bus_route = bus_route
    locked.health_notes = health_notes
    locked.allergies = allergies
    locked.contact_phone = phone
    locked.revision += 1
    full_clean(locked)
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
    require_guardian(actor, application.student_id)
    if application.status in FINAL:
        raise exceptions.SignatureRefused(
            exceptions.SIGNATURE_CLOSED.format(status=status_label(application.status)))
    agreement = current_agreement(application.term)
    if agreement is None:
        raise exceptions.AgreementNotSigned(exceptions.AGREEMENT_MISSING)
    typed = "".join(clean_text(signed_name).split())
    if not typed:
        raise exceptions.SignatureRefused(exceptions.SIGNATURE_NAME_REQUIRED)
    registered = "".join(clean_text(actor.guardian.name).split())
    if typed != registered:
        raise exceptions.SignatureRefused(
            exceptions.SIGNATURE_NAME_MISMATCH.format(name=actor.guardian.name))
    signature = Signature(application=application, agreement=agreement, signed_by=actor.user,
                          guardian=actor.guardian,
                          activation=AccountEvent.objects.claim_of(user=actor.user,
                                                                   guardian=actor.guardian),
                          signed_name=typed, signed_at=timezone.now(), ip_address=ip_address or None)
    signature, _ = create_once(signature, application=application, agreement=agreement)
    return signature


@dataclass(frozen=True)
class Submission:
    """What became of "sign and submit": the saved form, and why it was not submitted, if not."""

    application: Application
    refused: exceptions.EnrollmentError | None = None

    @property
    def submitted(self) -> bool:
        return self.refused is None


@transaction.atomic
def application_save_and_submit(
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
    consent_personal: bool = False,
    consent_sensitive: bool = False,
    signed_name: str = "",
    ip_address: str | None = None,
) -> Submission:
    """Save the form's content, sign the term's agreement if this answer needs it, and submit.

    The content is kept whatever happens next, so a guardian who mistyped their name does not
    lose what they filled in: signing and submitting run in a savepoint, and their refusal (a
    name that is not the guardian's, a missing answer, the window) comes back in
    ``Submission.refused`` with the saved form instead of being raised. A refusal of the
    content itself (:func:`application_update`) is raised, and nothing is saved.
    """
    saved = application_update(
        application=application, actor=actor, expected_revision=expected_revision,
        participates=participates, weekdays=weekdays, preferences=preferences,
        dismissal=dismissal, alone_consent=alone_consent, bus_route=bus_route,
        pickup_persons=pickup_persons, health_notes=health_notes, allergies=allergies,
        contact_phone=contact_phone, consent_personal=consent_personal,
        consent_sensitive=consent_sensitive, ip_address=ip_address)
    try:
        with transaction.atomic():
            if needs_signature(saved, current_agreement(saved.term),
                               participates=saved.participates):
                application_sign(application=saved, actor=actor, signed_name=signed_name,
                                 ip_address=ip_address)
            submitted = application_submit(application=saved, actor=actor)
    except exceptions.EnrollmentError as exc:
        return Submission(application=saved, refused=exc)
    return Submission(application=submitted)
