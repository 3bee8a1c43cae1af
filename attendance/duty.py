"""Who is on duty on a day: the teachers absence alerts and unreleased children escalate to.

Attendance sits below the duty roster (it lives in ``safety``), so the roster plugs in here
from its ``AppConfig.ready`` with :func:`register_duty_provider`, as the apps above register
home panels with the core. Without a provider, or where the provider has no roster for that
day, duty comes from the roles granted: a duty-teacher grant whose title names the weekday
("周一值日") is that day's; a school whose titles name no day has every duty teacher on duty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from afterschool.models import WEEKDAY_LABELS, Role, RoleAssignment

# (school_id, day) -> the users on duty that day, or None when the provider has no roster
# for it (then the grants decide).
DutyProvider = Callable[[int, dt.date], "list | None"]

_providers: list[DutyProvider] = []


def register_duty_provider(provider: DutyProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def duty_staff_on(school_id: int, day: dt.date) -> list:
    """The active users on duty at ``school_id`` on ``day``, in a stable order."""
    for provider in _providers:
        users = provider(school_id, day)
        if users is not None:
            return [u for u in users if u.is_active]
    return _duty_from_grants(school_id, day)


def _duty_from_grants(school_id: int, day: dt.date) -> list:
    grants = list(RoleAssignment.objects.filter(
        school_id=school_id, role=Role.DUTY_TEACHER, user__is_active=True)
        .select_related("user").order_by("pk"))
    weekday = WEEKDAY_LABELS[day.weekday()]
    todays = [g for g in grants if weekday in g.title]
    if not todays and not any(any(w in g.title for w in WEEKDAY_LABELS) for g in grants):
        todays = grants
    users, seen = [], set()
    for grant in todays:
        if grant.user_id not in seen:
            seen.add(grant.user_id)
            users.append(grant.user)
    return users


def office_staff_of(school_id: int) -> list:
    """The school's office (统筹) staff, who are told of every escalation."""
    grants = RoleAssignment.objects.filter(
        school_id=school_id, role=Role.COORDINATOR, user__is_active=True
    ).select_related("user").order_by("pk")
    users, seen = [], set()
    for grant in grants:
        if grant.user_id not in seen:
            seen.add(grant.user_id)
            users.append(grant.user)
    return users
