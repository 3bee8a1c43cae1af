"""The term calendar as a month grid the coordinator edits on a phone, and regeneration."""

from __future__ import annotations

import calendar as pycal
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import grades_visible_to
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import WEEKDAY_LABELS, Role
from afterschool.months import shift
from afterschool.params import month_param
from afterschool.selectors import current_term

from ..access import calendar_days_visible_to
from ..exceptions import REGENERATE_NO_ARRANGEMENT
from ..forms import CalendarDayForm
from ..models import Lesson
from ..services import calendar_day_delete, calendar_day_set

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


def _month(value: str | None, term) -> dt.date:
    """``?month=2026-10``; out of range or malformed: the current month inside the term."""
    first = month_param(value) or timezone.localdate().replace(day=1)
    lo, hi = term.start_date.replace(day=1), term.end_date.replace(day=1)
    return min(max(first, lo), hi)


class CalendarView(ActorMixin, TemplateView):
    allowed_roles = OFFICE
    template_name = "attendance/calendar.html"

    def term(self):
        term = current_term(self.actor.school)
        if term is None:
            raise Http404("本校尚未设置学期。")
        return term

    def get_context_data(self, form=None, **kwargs):
        term = self.term()
        first = _month(self.request.GET.get("month") or self.request.POST.get("month"), term)
        entries: dict[dt.date, list] = {}
        for day in calendar_days_visible_to(self.actor).filter(term=term):
            entries.setdefault(day.date, []).append(day)
        service = set(term.service_weekdays or [])
        today = timezone.localdate()
        weeks = []
        for week in pycal.Calendar().monthdatescalendar(first.year, first.month):
            row = []
            for date in week:
                inside = term.start_date <= date <= term.end_date
                days = entries.get(date, [])
                whole = next((d for d in days if d.grade_id is None), None)
                if whole is not None:
                    serves = whole.kind == "makeup"
                else:
                    serves = inside and date.isoweekday() in service
                row.append({"date": date, "in_month": date.month == first.month,
                            "inside": inside, "entries": days, "serves": serves,
                            "today": date == today})
            weeks.append(row)
        lessons_left = Lesson.objects.filter(term=term, date__gte=today, is_cancelled=False)
        return super().get_context_data(
            term=term, first=first, weeks=weeks, weekday_labels=WEEKDAY_LABELS,
            prev_month=shift(first, -1) if shift(first, -1) >= term.start_date.replace(day=1)
            else None,
            next_month=shift(first, 1) if shift(first, 1) <= term.end_date else None,
            form=form or CalendarDayForm(grades=grades_visible_to(self.actor),
                                         initial={"date": self.request.GET.get("date")}),
            month_entries=[d for date, days in sorted(entries.items()) for d in days
                           if date.year == first.year and date.month == first.month],
            future_lessons=lessons_left.count(), **kwargs)

    def post(self, request):
        if not self.actor.has(Role.COORDINATOR):
            raise PermissionDenied("只有课后服务办公室可以调整校历。")
        term = self.term()
        form = CalendarDayForm(request.POST, grades=grades_visible_to(self.actor))
        if form.is_valid():
            try:
                day, generated = calendar_day_set(term=term, actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已设置{day.date:%m月%d日}为“{day.get_kind_display()}”；"
                                 f"{generated}。")
                return redirect(reverse("attendance:calendar")
                                + f"?month={day.date:%Y-%m}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CalendarDeleteView(ActorMixin, View):
    allowed_roles = (Role.COORDINATOR,)

    def post(self, request, pk):
        day = get_object_or_404(calendar_days_visible_to(self.actor), pk=pk)
        month = f"{day.date:%Y-%m}"
        try:
            generated = calendar_day_delete(day=day, actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已删除该校历调整，恢复按周安排；{generated}。")
        return redirect(reverse("attendance:calendar") + f"?month={month}")


class RegenerateView(ActorMixin, View):
    """The button: regenerate the term's lessons from today on (a task when a worker runs)."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request):
        from arrangement.selectors import published_arrangement

        from ..tasks import lessons_regenerate_task

        term = current_term(self.actor.school)
        if term is None:
            raise Http404("本校尚未设置学期。")
        if published_arrangement(term) is None:
            messages.error(request, REGENERATE_NO_ARRANGEMENT)
        else:
            lessons_regenerate_task.delay(term.pk)
            messages.success(request, "已开始按统筹安排和校历重新生成本学期今后的课次；"
                             "已点名的课次不会改动。")
        return redirect("attendance:calendar")
