"""Who may see which dashboard: decided here, once.

- The capacity planner and the principal's dashboard are for the school's office and its
  principal (``Actor.is_school_wide``). The drill-down to a homeroom's children lists only
  children the person may see anyway (``afterschool.access.students_visible_to``).
- The district's dashboard is for the bureau (a district officer): the schools of its own
  district only (``schools_visible_to``), and only aggregates — the views it reaches render
  the aggregate tables and never a child, a guardian, a phone number or a record. A school
  outside the district answers 404.
- A school's plan is written and submitted by its office (or principal) and decided by the
  officers of the school's district.
"""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.access import Actor, schools_visible_to
from afterschool.models import Role, School

from .models import SchoolPlan

SCHOOL_WIDE = (Role.COORDINATOR, Role.PRINCIPAL)


def is_bureau(actor: Actor) -> bool:
    return bool(actor.district) and actor.has(Role.DISTRICT_OFFICER)


def district_schools(actor: Actor) -> QuerySet[School]:
    """The schools a bureau account compares; none for anyone else."""
    if not is_bureau(actor):
        return School.objects.none()
    return schools_visible_to(actor)


def plans_visible_to(actor: Actor) -> QuerySet[SchoolPlan]:
    qs = SchoolPlan.objects.select_related("school", "term")
    if is_bureau(actor):
        # The bureau sees what was sent to it, not a school's drafts.
        return qs.filter(school__district=actor.district).exclude(
            status=SchoolPlan.Status.DRAFT)
    if actor.school is not None and actor.has(*SCHOOL_WIDE):
        return qs.filter(school=actor.school)
    return qs.none()
