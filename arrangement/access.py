"""Who may see which rows of the arrangement: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`: views fetch through these, so "missing"
and "not yours" both answer 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role

from .models import Arrangement, HomeroomModePeriod, HomeworkGroup, Placement

TUTORS = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)


def arrangements_visible_to(actor: Actor) -> QuerySet[Arrangement]:
    """Runs of the actor's school, for the office and the principal only."""
    if actor.school is None or not actor.is_school_wide:
        return Arrangement.objects.none()
    return Arrangement.objects.filter(term__school=actor.school)


def runs_with_rosters_visible_to(actor: Actor) -> QuerySet[Arrangement]:
    """Runs whose printable rosters the actor may open: the office any run of the school,
    tutors and homeroom teachers only the published one (the roster itself is scoped again)."""
    if actor.school is None:
        return Arrangement.objects.none()
    runs = Arrangement.objects.filter(term__school=actor.school).select_related("term")
    if not actor.is_school_wide:
        runs = runs.filter(status=Arrangement.Status.PUBLISHED)
    return runs


def homeroom_mode_periods_visible_to(actor: Actor) -> QuerySet[HomeroomModePeriod]:
    """Homeroom-mode ranges of the actor's school."""
    if actor.school is None:
        return HomeroomModePeriod.objects.none()
    return HomeroomModePeriod.objects.filter(term__school=actor.school).select_related("term")


def homework_groups_visible_to(actor: Actor) -> QuerySet[HomeworkGroup]:
    """Homework groups whose roster (with the children's safety details) the actor may open:
    the office any group of the school, a staff member only the groups they tutor in the
    published run."""
    if actor.school is None:
        return HomeworkGroup.objects.none()
    groups = (HomeworkGroup.objects.filter(arrangement__term__school=actor.school)
              .select_related("arrangement__term", "tutor"))
    if actor.is_school_wide:
        return groups
    if actor.staff is None:
        return groups.none()
    return groups.filter(tutor=actor.staff, arrangement__status=Arrangement.Status.PUBLISHED)


def placements_visible_to(actor: Actor) -> QuerySet[Placement]:
    """Guardians: their children, published runs; tutors: their sections, published runs;
    homeroom teachers: their homeroom's children; the office and principal: the school."""
    qs = Placement.objects.all()
    if actor.school is None:
        return qs.none()
    qs = qs.filter(arrangement__term__school=actor.school)
    if actor.is_school_wide:
        return qs
    published = Q(arrangement__status=Arrangement.Status.PUBLISHED)
    condition = Q(pk__in=[])
    if actor.has(Role.GUARDIAN) and actor.guardian:
        condition |= published & Q(student__guardian_links__guardian=actor.guardian)
    if actor.has(*TUTORS) and actor.staff:
        condition |= published & Q(section__tutors=actor.staff)
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(student__homeroom__head_teacher=actor.staff)
    return qs.filter(pk__in=qs.filter(condition).values("pk"))


def tutor_student_scope(actor: Actor) -> Q | None:
    """Registered with the core: a tutor sees the children of their published sections."""
    if actor.staff is None or not actor.has(*TUTORS):
        return None
    today = timezone.localdate()
    return Q(pk__in=Placement.objects.filter(
        arrangement__status=Arrangement.Status.PUBLISHED, section__tutors=actor.staff)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today)).values("student_id"))
