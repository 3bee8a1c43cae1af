"""Who may see which rows of evaluation: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`; views fetch through these, so "missing"
and "not yours" both answer 404.

- Statements: the office and the principal see the school's; each member of staff their own.
- Assessments: the office and the principal; a member of staff sees their own entry (the
  score and why), never a colleague's.
- Publications (公示): every member of staff of the school — it is the staff notice board.
"""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.access import Actor
from afterschool.models import Role

from .models import Assessment, AssessmentEntry, Publication, PublicationJob, Statement

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


def statements_visible_to(actor: Actor) -> QuerySet[Statement]:
    qs = Statement.objects.select_related("staff", "school")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    if actor.staff is not None:
        return qs.filter(staff=actor.staff)
    return qs.none()


def is_statement_owner(actor: Actor, statement: Statement) -> bool:
    return actor.staff is not None and statement.staff_id == actor.staff.pk


def assessments_visible_to(actor: Actor) -> QuerySet[Assessment]:
    if actor.school is None or not actor.is_school_wide:
        return Assessment.objects.none()
    return Assessment.objects.filter(school=actor.school)


def assessment_entries_visible_to(actor: Actor) -> QuerySet[AssessmentEntry]:
    qs = AssessmentEntry.objects.select_related("assessment", "staff")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(assessment__school=actor.school)
    if actor.is_school_wide:
        return qs
    if actor.staff is not None:
        return qs.filter(staff=actor.staff)
    return qs.none()


def may_read_publications(actor: Actor) -> bool:
    return actor.school is not None and (actor.is_school_wide or actor.staff is not None)


def publications_visible_to(actor: Actor) -> QuerySet[Publication]:
    if not may_read_publications(actor):
        return Publication.objects.none()
    return Publication.objects.filter(school=actor.school)


def publication_jobs_visible_to(actor: Actor) -> QuerySet[PublicationJob]:
    """The build requests: the office and the principal follow them."""
    if actor.school is None or not actor.is_school_wide:
        return PublicationJob.objects.none()
    return PublicationJob.objects.filter(school=actor.school)
