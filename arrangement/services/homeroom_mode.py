"""Homeroom mode (按班级开展): date ranges in which mixed clubs pause and each homeroom is a group."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Term

from ..exceptions import (
    HOMEROOM_MODE_BACKWARDS,
    HOMEROOM_MODE_OUTSIDE_TERM,
    HOMEROOM_MODE_OVERLAP,
    HomeroomModeInvalid,
)
from ..models import HomeroomModePeriod
from .common import require_school


@transaction.atomic
def homeroom_mode_start(*, term: Term, actor: Actor, start_date: dt.date, end_date: dt.date,
                        reason: str) -> HomeroomModePeriod:
    """Suspend mixed clubs for a date range: each homeroom becomes its own group.

    The arrangement is untouched, so the school returns to it when the range ends.
    """
    require_school(actor, term)
    Term.objects.select_for_update().filter(pk=term.pk).first()  # overlapping ranges race
    if start_date > end_date:
        raise HomeroomModeInvalid(HOMEROOM_MODE_BACKWARDS)
    period = HomeroomModePeriod(term=term, start_date=start_date, end_date=end_date,
                                reason=reason.strip(), created_by=actor.user)
    period.full_clean()
    if not (term.start_date <= start_date and end_date <= term.end_date):
        raise HomeroomModeInvalid(HOMEROOM_MODE_OUTSIDE_TERM)
    overlapping = HomeroomModePeriod.objects.filter(term=term, start_date__lte=end_date,
                                                    end_date__gte=start_date).first()
    if overlapping is not None:
        raise HomeroomModeInvalid(HOMEROOM_MODE_OVERLAP.format(period=overlapping))
    period.save()
    return period


@transaction.atomic
def homeroom_mode_end(*, period: HomeroomModePeriod, actor: Actor,
                      on: dt.date | None = None) -> HomeroomModePeriod | None:
    """Back to normal from ``on`` (today by default): the range is cut short, or dropped if it
    had not begun. Returns the shortened range, or None when it was removed."""
    require_school(actor, period.term)
    period = HomeroomModePeriod.objects.select_for_update().get(pk=period.pk)
    on = on or timezone.localdate()
    if on <= period.start_date:
        period.delete()
        return None
    if on <= period.end_date:
        period.end_date = on - dt.timedelta(days=1)
        period.full_clean()
        period.save(update_fields=["end_date"])
    return period
