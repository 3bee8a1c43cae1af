"""The home-page panel of evaluation (registered in ``EvaluationConfig.ready``)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Min, OuterRef, Subquery

from afterschool.access import Actor
from afterschool.models import Role, School


def _scalar(qs, expression, output_field=None):
    """One number of ``qs`` (filtered on the outer school) as a subquery."""
    return Subquery(qs.filter(school=OuterRef("pk")).order_by().values("school")
                    .annotate(value=expression).values("value")[:1], output_field=output_field)


def evaluation_panel(actor: Actor) -> dict | None:
    """What waits for this person, in one query: a member of staff's statements to check; the
    office's disputes to resolve; the principal's assessments to confirm."""
    if actor.school is None or (actor.staff is None and not actor.is_school_wide):
        return None
    from .models import Assessment, Statement

    S = Statement.Status
    numbers = {}
    if actor.staff is not None:
        numbers["waiting"] = _scalar(
            Statement.objects.filter(staff=actor.staff, status=S.ISSUED), Count("pk"),
            IntegerField())
    if actor.has(Role.COORDINATOR):
        disputed = Statement.objects.filter(status=S.DISPUTED)
        numbers["disputed"] = _scalar(disputed, Count("pk"), IntegerField())
        numbers["disputed_month"] = _scalar(disputed, Min("month"))
    if actor.has(Role.PRINCIPAL):
        numbers["proposed"] = _scalar(
            Assessment.objects.filter(status=Assessment.Status.PROPOSED), Count("pk"),
            IntegerField())
    if not numbers:
        return None
    found = School.objects.filter(pk=actor.school.pk).values(**numbers).first() or {}
    if not any(found.get(k) for k in ("waiting", "disputed", "proposed")):
        return None
    return {"template": "evaluation/_panel.html", "order": 8, **found}
