"""A school's 课时 weights and subsidy rates, and its 考核评价办法: edited by the office (the
scheme also by the principal), validated whole, saved at once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role, School

from .. import exceptions as e
from ..models import AssessmentScheme, WorkloadPolicy
from ..policy import assessment_scheme_for, workload_policy_for

POLICY_FIELDS = ("weight_course", "weight_homework", "weight_homeroom", "weight_fixed",
                 "weight_reading", "weight_duty", "weight_patrol", "rate_teacher",
                 "rate_external")
SCHEME_FIELDS = ("weight_delivery", "weight_punctual", "weight_patrol", "weight_follow_up",
                 "weight_satisfaction", "finding_penalty", "follow_up_penalty",
                 "satisfaction_min_answers", "commend_min_score", "commend_limit",
                 "follow_up_below_score", "min_lessons")


def _same_school(actor: Actor, school: School) -> bool:
    return actor.school is not None and actor.school.pk == school.pk


@transaction.atomic
def workload_policy_update(*, actor: Actor, school: School, values: dict) -> WorkloadPolicy:
    if not actor.has(Role.COORDINATOR) or not _same_school(actor, school):
        raise e.EvaluationError(e.POLICY_NOT_ALLOWED)
    policy = workload_policy_for(school)
    if policy.pk is not None:
        policy = WorkloadPolicy.objects.select_for_update().get(pk=policy.pk)
    for name in POLICY_FIELDS:
        if name in values:
            setattr(policy, name, values[name])
    policy.updated_at, policy.updated_by = timezone.now(), actor.user
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def assessment_scheme_update(*, actor: Actor, school: School, values: dict) -> AssessmentScheme:
    if not actor.has(Role.COORDINATOR, Role.PRINCIPAL) or not _same_school(actor, school):
        raise e.EvaluationError(e.SCHEME_NOT_ALLOWED)
    scheme = assessment_scheme_for(school)
    if scheme.pk is not None:
        scheme = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    for name in SCHEME_FIELDS:
        if name in values:
            setattr(scheme, name, values[name])
    if not any(getattr(scheme, f) for f in SCHEME_FIELDS[:5]):
        raise e.EvaluationError(e.SCHEME_NO_WEIGHT)
    if scheme.commend_min_score <= scheme.follow_up_below_score:
        raise e.EvaluationError(e.SCHEME_THRESHOLDS.format(
            commend=scheme.commend_min_score, follow_up=scheme.follow_up_below_score))
    scheme.updated_at, scheme.updated_by = timezone.now(), actor.user
    scheme.full_clean()
    scheme.save()
    return scheme
