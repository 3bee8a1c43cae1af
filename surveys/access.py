"""Who may see which rows of the surveys: decided here, once.

- The office (coordinators) edits, publishes and closes the school's surveys; the office and
  the principal read their results — only through the aggregates of
  :mod:`surveys.selectors`, which never read :class:`~surveys.models.Respondent`.
- A guardian sees the surveys that are or were open for their own children, and their own
  children's answers (found by the respondent key, :mod:`surveys.anonymity`).
- Nobody else — tutors, homeroom teachers, the bureau — sees a survey page at all; the bureau
  sees the school's overall rate on the district dashboard.
"""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.access import Actor
from afterschool.models import Role

from .models import Survey, SurveyPolicy

OFFICE = (Role.COORDINATOR,)
READERS = (Role.COORDINATOR, Role.PRINCIPAL)


def surveys_visible_to(actor: Actor) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("term", "school")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.has(*READERS):
        return qs
    if actor.has(Role.GUARDIAN):
        return qs.exclude(status=Survey.Status.DRAFT)
    return qs.none()


def may_edit(actor: Actor) -> bool:
    return actor.school is not None and actor.has(*OFFICE)


def policy_of(school) -> SurveyPolicy:
    """The school's settings (unsaved defaults when it has none)."""
    found = SurveyPolicy.objects.filter(school=school).first()
    return found or SurveyPolicy(school=school)
