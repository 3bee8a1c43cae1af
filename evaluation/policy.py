"""A school's workload weights and subsidy rates, and its assessment scheme, with defaults.

A school without a row gets an unsaved default, so every reader sees one set of numbers: each
lesson, duty and patrol 1 课时 (a patrol 0.5), the teacher's rate from the core's
``School.subsidy_per_period`` (the figure the school gave when it was set up), the scheme's
default weights.
"""

from __future__ import annotations

from afterschool.models import School

from .models import AssessmentScheme, WorkloadPolicy


def workload_policy_for(school: School) -> WorkloadPolicy:
    policy = WorkloadPolicy.objects.filter(school=school).first()
    if policy is None:
        policy = WorkloadPolicy(school=school, rate_teacher=school.subsidy_per_period)
    return policy


def assessment_scheme_for(school: School) -> AssessmentScheme:
    return (AssessmentScheme.objects.filter(school=school).first()
            or AssessmentScheme(school=school))


def scheme_snapshot(scheme: AssessmentScheme) -> dict:
    """The numbers an assessment was computed with, kept on the assessment."""
    names = ["weight_delivery", "weight_punctual", "weight_patrol", "weight_follow_up",
             "weight_satisfaction", "finding_penalty", "follow_up_penalty",
             "satisfaction_min_answers", "min_lessons", "commend_limit"]
    snapshot = {name: int(getattr(scheme, name)) for name in names}
    snapshot["commend_min_score"] = str(scheme.commend_min_score)
    snapshot["follow_up_below_score"] = str(scheme.follow_up_below_score)
    return snapshot
