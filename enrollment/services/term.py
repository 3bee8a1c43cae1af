"""The term's enrollment settings: the application window, what guardians read, the agreement."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from afterschool.access import Actor
from afterschool.formatting import moment_text
from afterschool.models import Term

from .. import exceptions
from ..models import Agreement
from .common import full_clean, require_coordinator


def window_check(term: Term, at: dt.datetime | None = None) -> None:
    """Refuse unless the term's application window is open, saying when it opens/closed."""
    at = at or timezone.now()
    opens, closes = term.application_opens_at, term.application_closes_at
    if opens is None or closes is None:
        raise exceptions.WindowClosed(exceptions.WINDOW_NOT_SET)
    if term.window_is_open(at):
        return
    dates = {"opens": moment_text(opens), "closes": moment_text(closes)}
    if at < opens:
        raise exceptions.WindowClosed(exceptions.WINDOW_NOT_OPEN.format(**dates))
    raise exceptions.WindowClosed(exceptions.WINDOW_CLOSED.format(**dates))


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
    require_coordinator(actor, term.school_id)
    if (application_opens_at and application_closes_at
            and application_opens_at >= application_closes_at):
        raise exceptions.ApplicationInvalid(exceptions.WINDOW_ORDER, field="application_closes_at")
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
    require_coordinator(actor, term.school_id)
    # Lock the term so two publishers get versions n and n+1, not both n.
    Term.objects.select_for_update().filter(pk=term.pk).first()
    last = term.agreements.aggregate(v=Max("version"))["v"] or 0
    agreement = Agreement(term=term, version=last + 1, service_text=service_text.strip(),
                          safety_text=safety_text.strip(), published_at=timezone.now(),
                          published_by=actor.user)
    full_clean(agreement)
    agreement.save()
    return agreement


