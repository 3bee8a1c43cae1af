"""Who may see and do what in safety: one scoping function per entity, decided here.

Built on the core's :class:`~afterschool.access.Actor`; views fetch through these, so "missing"
and "not yours" both answer 404.

- The leaders (领导小组: the principal and the office) see everything of their school; the
  office (课后服务办公室) also generates the roster, approves swaps, assigns and closes
  follow-ups. They take the leader's duty (值日领导).
- Staff see the roster, their own unavailable days and swaps, the patrols they recorded and
  those about their lessons, and the follow-ups assigned to them or about their lessons.
- Whoever is on duty today by the roster, or holds a 值日教师 grant, or is a leader, records
  patrols; the duty teachers see the day's patrols of the whole school.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from afterschool.access import Actor
from afterschool.models import Role

from .models import (
    DutyAssignment,
    DutyRoster,
    DutySwap,
    DutyUnavailability,
    FollowUp,
    PatrolReport,
)

LEADERS = (Role.PRINCIPAL, Role.COORDINATOR)
OFFICE = (Role.COORDINATOR,)


def is_leader(actor: Actor) -> bool:
    return actor.school is not None and actor.has(*LEADERS)


def is_staff(actor: Actor) -> bool:
    """A member of staff of the actor's school (a login with a staff row, or a leader)."""
    return actor.school is not None and (actor.staff is not None or is_leader(actor))


def on_duty_today(actor: Actor, day: dt.date) -> bool:
    """Whether the roster has the actor on duty on ``day`` (once per request)."""
    if actor.school is None or actor.staff is None:
        return False
    return actor.remember(("safety_on_duty", day), lambda: DutyAssignment.objects.filter(
        roster__term__school=actor.school, staff=actor.staff, date=day).exists())


def may_patrol(actor: Actor, day: dt.date) -> bool:
    """Leaders, the granted 值日教师 and whoever the roster has on duty that day."""
    if actor.school is None:
        return False
    return is_leader(actor) or actor.has(Role.DUTY_TEACHER) or on_duty_today(actor, day)


def sees_all_patrols(actor: Actor) -> bool:
    return is_leader(actor) or actor.has(Role.DUTY_TEACHER)


def rosters_visible_to(actor: Actor):
    if not is_staff(actor):
        return DutyRoster.objects.none()
    return DutyRoster.objects.filter(term__school=actor.school).select_related("term")


def unavailability_visible_to(actor: Actor):
    qs = DutyUnavailability.objects.select_related("staff", "term")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(term__school=actor.school)
    if is_leader(actor):
        return qs
    if actor.staff is not None:
        return qs.filter(staff=actor.staff)
    return qs.none()


def swaps_visible_to(actor: Actor):
    qs = DutySwap.objects.select_related("requester", "partner", "roster__term")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(roster__term__school=actor.school)
    if is_leader(actor):
        return qs
    if actor.staff is not None:
        return qs.filter(Q(requester=actor.staff) | Q(partner=actor.staff))
    return qs.none()


def _about_me(actor: Actor, prefix: str = "") -> Q:
    """Patrols about the actor's lessons: named as their teacher, or of a lesson they teach."""
    from attendance.models import Lesson

    mine = Lesson.tutors.through.objects.filter(staff=actor.staff).values("lesson_id")
    return (Q(**{f"{prefix}teacher": actor.staff}) | Q(**{f"{prefix}lesson__in": mine})
            | Q(**{f"{prefix}lesson__substitute": actor.staff}))


def patrols_visible_to(actor: Actor):
    qs = PatrolReport.objects.select_related("lesson", "teacher", "recorded_by")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if sees_all_patrols(actor):
        return qs
    condition = Q(recorded_by=actor.user)
    if actor.staff is not None:
        condition |= _about_me(actor)
    return qs.filter(condition)


def follow_ups_visible_to(actor: Actor):
    qs = FollowUp.objects.select_related("patrol__lesson", "patrol__teacher", "assignee")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if sees_all_patrols(actor):
        return qs
    condition = Q(patrol__recorded_by=actor.user)
    if actor.staff is not None:
        condition |= Q(assignee=actor.staff) | _about_me(actor, "patrol__")
    return qs.filter(condition)


def patrol_lessons(actor: Actor, day: dt.date):
    """The school's lessons of ``day`` a patrol may visit (for those who may patrol then)."""
    from attendance.models import Lesson

    if not may_patrol(actor, day):
        return Lesson.objects.none()
    return (Lesson.objects.filter(term__school=actor.school, date=day, is_cancelled=False)
            .select_related("term", "substitute"))
