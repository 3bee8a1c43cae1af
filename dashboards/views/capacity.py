"""The capacity planner (容量预估) for the office while the application window is open."""

from __future__ import annotations

from django.http import Http404
from django.views.generic import TemplateView

from afterschool.mixins import ActorMixin
from afterschool.models import Role, Term
from afterschool.params import parse_id
from afterschool.selectors import current_term

from ..capacity import capacity_plan

SCHOOL_WIDE = (Role.COORDINATOR, Role.PRINCIPAL)


class CapacityView(ActorMixin, TemplateView):
    allowed_roles = SCHOOL_WIDE
    template_name = "dashboards/capacity.html"

    def get_context_data(self, **kwargs):
        terms = Term.objects.filter(school=self.actor.school).order_by("-start_date")
        wanted = parse_id(self.request.GET.get("term"))
        if self.request.GET.get("term") and wanted is None:
            raise Http404("找不到该学期。")
        term = terms.filter(pk=wanted).first() if wanted else current_term(self.actor.school)
        if term is None:
            if wanted:
                raise Http404("找不到该学期。")
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
