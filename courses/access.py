"""Who may see which rows of the courses app: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`, like ``afterschool/access.py``: views
fetch through these, so "missing" and "not yours" both answer 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from afterschool.access import Actor, children_of
from afterschool.models import Role, Term

from .models import Arrangement, Course, Placement, Section

TUTORS = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)

# ------------------------------------------------------------------ catalog


def terms_visible_to(actor: Actor) -> QuerySet[Term]:
    """The terms whose catalog the actor may open: their school's."""
    if actor.school is None:
        return Term.objects.none()
    return Term.objects.filter(school=actor.school)


def courses_visible_to(actor: Actor) -> QuerySet[Course]:
    """The office and the principal: the school's catalog; a tutor or external instructor:
    the courses they teach a section of; a guardian: the open courses of their children's
    grades."""
    qs = Course.objects.all()
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.has(*TUTORS) and actor.staff:
        condition |= Q(sections__tutors=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        grades = children_of(actor).values("homeroom__grade")
        condition |= Q(is_active=True, grades__in=grades)
    # A subquery rather than distinct(): callers annotate counts on the result.
    return qs.filter(pk__in=qs.filter(condition).values("pk"))


def sections_visible_to(actor: Actor) -> QuerySet[Section]:
    """The office and the principal: every section of the school; a tutor: their own; a
    guardian: the sections of the catalog they see, a per-homeroom one only for their
    children's homerooms."""
    qs = Section.objects.all()
    if actor.school is None:
        return qs.none()
    qs = qs.filter(course__school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.has(*TUTORS) and actor.staff:
        condition |= Q(tutors=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        children = children_of(actor)
        condition |= (Q(course__is_active=True,
                        course__grades__in=children.values("homeroom__grade"))
                      & (Q(homeroom__isnull=True)
                         | Q(homeroom__in=children.values("homeroom"))))
    return qs.filter(pk__in=qs.filter(condition).values("pk"))


# ------------------------------------------------------------------ arrangement


def arrangements_visible_to(actor: Actor) -> QuerySet[Arrangement]:
    """Runs of the actor's school, for the office and the principal only."""
    if actor.school is None or not actor.is_school_wide:
        return Arrangement.objects.none()
    return Arrangement.objects.filter(term__school=actor.school)


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
