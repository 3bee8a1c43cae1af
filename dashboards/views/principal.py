"""The principal's dashboard: one page of the school's month, read from the aggregate tables,
with a drill-down from grade to homeroom to the children (for those who may see them), a
month selector and the figures as .xlsx."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import grades_visible_to, homerooms_visible_to, students_visible_to
from afterschool.dispatch import publish
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.xlsx import xlsx_response

from .. import charts
from .. import selectors as sel
from ..exports import school_workbook
from ..models import MonthlyHomeroomStat
from ..months import month_text, parse_month, shift

SCHOOL_WIDE = (Role.COORDINATOR, Role.PRINCIPAL)


class MonthMixin(ActorMixin):
    allowed_roles = SCHOOL_WIDE

    def month(self):
        return parse_month(self.request.GET.get("month"), timezone.localdate())

    def month_context(self, month) -> dict:
        return {"month": month, "month_label": month_text(month),
                "prev_month": shift(month, -1), "next_month": shift(month, 1),
                "this_month": timezone.localdate().replace(day=1)}


def school_context(school, month) -> dict:
    """What the principal's page and the bureau's page of a school share: aggregates only."""
    stat = sel.school_month(school, month)
    if stat is None:
        return {"stat": None}
    weeks = sel.weeks(school, month)
    trend = sel.trend(school, month)
    grades = sel.grades(school, month)
    staff = sel.staff_load(school, month)
    courses = sel.courses(school, month)
    return {
        "stat": stat, "figures": sel.Figures(stat), "weeks": weeks, "trend": trend,
        "trend_rows": [(t, sel.Figures(t)) for t in trend], "grades": grades, "staff": staff,
        "spread": sel.spread(staff), "courses": courses,
        "course_rows": [(c, sel.pct(c.placed_students, c.capacity), sel.attendance_rate(c))
                        for c in courses],
        "charts": {
            "participation": charts.bars([g.name for g in grades],
                                         [g.participation for g in grades],
                                         label="参与率（%）", percent=True),
            "weeks": charts.stacked_attendance(weeks),
            "trend": charts.trend([month_text(t.month) for t in trend], [
                ("出勤率", [sel.attendance_rate(t) for t in trend], charts.GREEN),
                ("按时点名率", [sel.pct(t.lessons_on_time, t.lessons_taken) for t in trend],
                 charts.BLUE)]),
            "staff": charts.bars([s.staff.name for s in staff],
                                 [float(s.period_equivalents) for s in staff],
                                 label="课时", color=charts.BLUE),
            "courses": charts.bars([c.course.name for c in courses],
                                   [sel.pct(c.placed_students, c.capacity) for c in courses],
                                   label="满员率（%）", horizontal=True, percent=True,
                                   color=charts.GREEN),
        },
        "chart_heights": {"courses": 60 + 26 * len(courses)},
    }


class PrincipalView(MonthMixin, TemplateView):
    template_name = "dashboards/principal.html"

    def get(self, request, *args, **kwargs):
        month = self.month()
        school = self.actor.school
        context = school_context(school, month)
        if request.GET.get("format") == "xlsx":
            if context["stat"] is None:
                raise Http404("这个月还没有统计数据。")
            return xlsx_response(school_workbook(school, month, context),
                                 f"{school.name}-课后服务看板-{month:%Y-%m}.xlsx",
                                 fallback=f"dashboard-{month:%Y-%m}.xlsx")
        return self.render_to_response(self.get_context_data(
            **context, **self.month_context(month), months=sel.months_with_data(school)))


class RefreshView(MonthMixin, View):
    """Count the school's month again now (the tables are otherwise kept by the roll calls'
    signal and the beat)."""

    def post(self, request):
        from ..tasks import month_refresh_task

        month = parse_month(request.POST.get("month"), timezone.localdate())
        publish(month_refresh_task, self.actor.school.pk, month.isoformat())
        messages.success(request, f"已开始重新统计{month_text(month)}，稍后刷新页面即可看到。")
        return redirect(f"{reverse('dashboards:principal')}?month={month:%Y-%m}")


class GradeView(MonthMixin, TemplateView):
    """Drill-down, first step: a grade's homerooms."""

    template_name = "dashboards/grade.html"

    def get_context_data(self, **kwargs):
        grade = get_object_or_404(grades_visible_to(self.actor), pk=self.kwargs["pk"])
        month = self.month()
        row = next((g for g in sel.grades(self.actor.school, month) if g.grade_id == grade.pk),
                   None)
        homerooms = row.homerooms if row else []
        return super().get_context_data(
            grade=grade, row=row, chart=charts.bars(
                [h.homeroom.name for h in homerooms],
                [sel.attendance_rate(h) for h in homerooms], label="出勤率（%）",
                percent=True, color=charts.GREEN),
            homeroom_rows=[(h, sel.pct(h.applied, h.students), sel.attendance_rate(h))
                           for h in homerooms],
            **self.month_context(month), **kwargs)


class HomeroomView(MonthMixin, TemplateView):
    """Drill-down, last step: the homeroom's children, for those who may see them."""

    template_name = "dashboards/homeroom.html"

    def get_context_data(self, **kwargs):
        homeroom = get_object_or_404(homerooms_visible_to(self.actor), pk=self.kwargs["pk"])
        month = self.month()
        stat = MonthlyHomeroomStat.objects.filter(homeroom=homeroom, month=month).first()
        return super().get_context_data(
            homeroom=homeroom, stat=stat,
            rows=sel.homeroom_children(homeroom, month, students_visible_to(self.actor)),
            **self.month_context(month), **kwargs)
