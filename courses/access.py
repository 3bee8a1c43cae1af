"""Who may see which rows of the catalog: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`, like ``afterschool/access.py``: views
fetch through these, so "missing" and "not yours" both answer 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from afterschool.access import Actor, children_of
from afterschool.models import Role, Term
from afterschool.params import id_or_404
from afterschool.selectors import current_term

from .models import Course, Section

TUTORS = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)
NO_TERM = "找不到该学期。"


def terms_visible_to(actor: Actor) -> QuerySet[Term]:
    """The terms whose catalog the actor may open: their school's."""
    if actor.school is None:
        return Term.objects.none()
    return Term.objects.filter(school=actor.school)


def term_or_current(actor: Actor, wanted) -> Term | None:
    """``?term=``: one of the school's terms (404 when malformed or not ours), else the current."""
    if wanted:
        return get_object_or_404(terms_visible_to(actor), pk=id_or_404(wanted, NO_TERM))
    return current_term(actor.school)


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
