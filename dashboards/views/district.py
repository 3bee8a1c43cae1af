"""The bureau's dashboard: its district's schools side by side for a month, a chart per
measure, sorting, and each school's own page — aggregates only.

Nothing here reads a child, a guardian or a record: the rows are the monthly aggregate
table's, and a school's page is the principal's page without its drill-down and without
teachers' names. A school outside the bureau's district answers 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.xlsx import xlsx_response

from .. import charts
from .. import selectors as sel
from ..access import district_schools, is_bureau
from ..exports import district_workbook
from ..months import month_text, parse_month, shift
from .principal import school_context

ORDERS = ("asc", "desc")
# Beyond this many schools the bars of a chart go without their names (the table has them).
NAMED_BARS = 30


class BureauMixin(ActorMixin):
    allowed_roles = (Role.DISTRICT_OFFICER,)

    def get(self, request, *args, **kwargs):
        if not is_bureau(self.actor):
            raise PermissionDenied("只有教育局账号可以查看。")
        return self.respond(request, *args, **kwargs)

    def month(self):
        return parse_month(self.request.GET.get("month"), timezone.localdate())

    def month_context(self, month) -> dict:
        return {"month": month, "month_label": month_text(month),
                "prev_month": shift(month, -1), "next_month": shift(month, 1),
                "this_month": timezone.localdate().replace(day=1)}


def _sorted(rows, sort: str, order: str):
    if sort == "name":
        return sorted(rows, key=lambda r: r.school.name, reverse=order == "desc")
    present = [r for r in rows if r.value(sort) is not None]
    absent = [r for r in rows if r.value(sort) is None]
    present.sort(key=lambda r: (r.value(sort), r.school.name), reverse=order == "desc")
    return present + sorted(absent, key=lambda r: r.school.name)


def measure_chart(rows, measure: str) -> dict:
    label, _, unit = sel.MEASURES[measure]
    ranked = _sorted(rows, measure, "desc")
    ranked = [r for r in ranked if r.value(measure) is not None]
    if not ranked:
        return None
    chart = charts.bars([r.school.name for r in ranked], [r.value(measure) for r in ranked],
                        label=f"{label}（{unit}）", percent=unit == "%",
                        color=charts.GREEN if unit == "%" else charts.BLUE)
    if len(ranked) > NAMED_BARS:
        chart["options"].setdefault("scales", {}).setdefault("x", {})["ticks"] = {
            "display": False}
    return chart


class DistrictView(BureauMixin, TemplateView):
    template_name = "dashboards/district.html"

    def respond(self, request):
        month = self.month()
        schools = district_schools(self.actor)
        rows = sel.district_rows(schools, month)
        totals = sel.district_totals(rows)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(district_workbook(self.actor.district, month, rows, totals),
                                 f"{self.actor.district}-各校课后服务-{month:%Y-%m}.xlsx",
                                 fallback=f"district-{month:%Y-%m}.xlsx")
        sort = request.GET.get("sort", "")
        sort = sort if sort in sel.MEASURES or sort == "name" else "participation"
        order = request.GET.get("order", "")
        order = order if order in ORDERS else ("asc" if sort == "name" else "desc")
        measures = [(key, label, unit) for key, (label, _, unit) in sel.MEASURES.items()]
        return self.render_to_response(self.get_context_data(
            rows=[(r, [r.value(key) for key, _, _ in measures])
                  for r in _sorted(rows, sort, order)],
            totals=totals, measures=measures, sort=sort, order=order,
            charts=[(key, label, measure_chart(rows, key), f"chart-{key}")
                    for key, label, _ in measures],
            keep=[("sort", sort), ("order", order)],
            extra_query=f"&sort={sort}&order={order}", **self.month_context(month)))


class DistrictSchoolView(BureauMixin, TemplateView):
    template_name = "dashboards/district_school.html"

    def respond(self, request, pk):
        school = get_object_or_404(district_schools(self.actor), pk=pk)
        month = self.month()
        context = school_context(school, month)
        # The bureau compares schools, not teachers: the load's spread, no names.
        context.pop("staff", None)
        context.get("charts", {}).pop("staff", None)
        return self.render_to_response(self.get_context_data(
            school=school, bureau=True, **context, **self.month_context(month)))
