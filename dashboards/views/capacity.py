"""The capacity planner (容量预估) for the office while the application window is open."""

from __future__ import annotations

from django.views.generic import TemplateView

from afterschool.mixins import ActorMixin
from afterschool.models import Role
from courses.access import term_or_current, terms_visible_to

from ..capacity import capacity_plan

SCHOOL_WIDE = (Role.COORDINATOR, Role.PRINCIPAL)


class CapacityView(ActorMixin, TemplateView):
    allowed_roles = SCHOOL_WIDE
    template_name = "dashboards/capacity.html"

    def get_context_data(self, **kwargs):
        terms = terms_visible_to(self.actor).order_by("-start_date")
        term = term_or_current(self.actor, self.request.GET.get("term"))
        if term is None:
            return super().get_context_data(plan=None, terms=terms, **kwargs)
        plan = capacity_plan(term)
        rows = [{"name": h.homeroom.name, "students": h.students, "applied": h.applied,
                 "days": [(h.by_weekday.get(d.weekday, 0), h.groups(d.weekday))
                          for d in plan.weekdays]} for h in plan.homerooms]
        # What needs doing first: courses whose plan and first choices disagree.
        attention = [c for c in plan.courses if c.first_choice and (c.gap or c.under_minimum)]
        return super().get_context_data(plan=plan, terms=terms, term=term, homeroom_rows=rows,
                                        chart=weekday_chart(plan), attention=attention,
                                        in_line=len(plan.courses) - len(attention),
                                        **kwargs)


def weekday_chart(plan) -> dict:
    labels = [d.label for d in plan.weekdays]
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": [
            {"label": "参加人数", "data": [d.children for d in plan.weekdays],
             "backgroundColor": "#0a58ca", "yAxisID": "y"},
            {"label": "作业辅导组（需辅导教师）", "data": [d.homework_groups for d in plan.weekdays],
             "backgroundColor": "#146c43", "yAxisID": "y1"},
        ]},
        "options": {"scales": {"y": {"beginAtZero": True, "position": "left",
                                     "title": {"display": True, "text": "人数"}},
                               "y1": {"beginAtZero": True, "position": "right",
                                      "grid": {"drawOnChartArea": False},
                                      "title": {"display": True, "text": "教师"}}}},
    }
