"""The family's side of a survey: which surveys wait for which child, and the child's own
answer, found again through the respondent key (:mod:`surveys.anonymity`).

This is the only module besides the services that reads :class:`~surveys.models.Respondent`;
its functions take the family's own children (``afterschool.access.own_children``), never a
list a member of staff could choose. ``tests/surveys/test_anonymity.py`` holds the staff
modules to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from afterschool.access import Actor, own_children
from afterschool.models import Student

from .anonymity import candidate_keys
from .models import Respondent, Survey, SurveyResponse
from .selectors import attended_students


def own_response(survey: Survey, student: Student) -> SurveyResponse | None:
    """The child's answer to ``survey``, or None."""
    found = (Respondent.objects.filter(survey=survey,
                                       key__in=candidate_keys(survey.pk, student.pk))
             .select_related("response").first())
    return found.response if found else None


@dataclass
class ChildSurvey:
    survey: Survey
    student: Student
    answered: bool

    @property
    def open(self) -> bool:
        return self.survey.accepts_answers()


def family_surveys(actor: Actor, *, only_open: bool = False) -> list[ChildSurvey]:
    """Each published survey of the school with each of the family's children it invites (the
    child attended that term): whether the child's answer is in. Two queries per survey, at
    most the ten latest surveys."""
    children = own_children(actor)
    if not children:
        return []
    surveys = (Survey.objects.filter(school=actor.school).exclude(status=Survey.Status.DRAFT)
               .select_related("term").order_by("-opened_at", "-pk"))
    if only_open:
        surveys = surveys.filter(status=Survey.Status.OPEN)
    rows = []
    for survey in surveys[:10]:
        invited = set(attended_students(survey.term).filter(
            pk__in=[c.pk for c in children]).values_list("pk", flat=True))
        wanted = {c.pk: candidate_keys(survey.pk, c.pk) for c in children if c.pk in invited}
        if not wanted:
            continue
        keys = set(Respondent.objects.filter(
            survey=survey, key__in=[k for ks in wanted.values() for k in ks])
            .values_list("key", flat=True))
        for child in children:
            if child.pk in wanted:
                rows.append(ChildSurvey(survey=survey, student=child,
                                        answered=bool(keys & set(wanted[child.pk]))))
    return rows
