"""Home-page panels of the dashboards (registered in ``DashboardsConfig.ready``)."""

from __future__ import annotations

from afterschool.access import Actor
from afterschool.models import Role


def capacity_panel(actor: Actor) -> dict | None:
    """办公室: while the application window is open, the busiest day's demand at a glance."""
    if actor.school is None or not actor.has(Role.COORDINATOR):
        return None
    from afterschool.selectors import school_homerooms_counted, term_of

    term = term_of(actor)
    if term is None or not term.window_is_open():
        return None
    from .capacity import capacity_plan

    plan = capacity_plan(term, school_homerooms_counted(actor))
    if not plan.forms:
        return None
    short = [c for c in plan.courses if c.gap > 0]
    return {"template": "dashboards/_panel_capacity.html", "order": 14, "plan": plan,
            "short": short[:3]}



def bureau_panel(actor: Actor) -> dict | None:
    """教育局: the comparison, and the plans waiting for a decision."""
    if not (actor.district and actor.has(Role.DISTRICT_OFFICER)):
        return None
    from .access import plans_visible_to
    from .models import SchoolPlan

    waiting = plans_visible_to(actor).filter(status=SchoolPlan.Status.SUBMITTED).count()
    return {"template": "dashboards/_panel_bureau.html", "order": 3, "waiting": waiting}


def dashboard_panel(actor: Actor) -> dict | None:
    """校长、办公室: this month's headline figures, one query, and the way to the dashboard."""
    if actor.school is None or not actor.is_school_wide:
        return None
    from django.utils import timezone

    from .models import MonthlySchoolStat
    from .selectors import Figures

    stat = (MonthlySchoolStat.objects.filter(school=actor.school,
                                             month__lte=timezone.localdate())
            .order_by("-month").first())
    if stat is None:
        return None
    return {"template": "dashboards/_panel_dashboard.html", "order": 30, "stat": stat,
            "figures": Figures(stat)}
