"""Views of the records: a homeroom by day and by month, a tutor's lessons, the office's report
with its .xlsx, and the coordinator's correction of a locked record."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.access import grades_visible_to, homerooms_visible_to
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.months import shift
from afterschool.params import date_param, month_param, parse_id
from afterschool.xlsx import xlsx_response
from courses.models import Course

from .. import exports
from .. import selectors as sel
from ..access import lessons_visible_to, records_visible_to
from ..forms import CorrectionForm
from ..services import record_correct
from .lessons import lessons_with_state

OFFICE = (Role.COORDINATOR, Role.PRINCIPAL)


def _first_of_month(value) -> dt.date:
    return month_param(value) or timezone.localdate().replace(day=1)


class HomeroomDayView(ActorMixin, TemplateView):
    template_name = "attendance/homeroom_day.html"

    def get_context_data(self, **kwargs):
        homeroom = get_object_or_404(homerooms_visible_to(self.actor), pk=self.kwargs["pk"])
        date = date_param(self.request.GET.get("date"), timezone.localdate())
        return super().get_context_data(
            homeroom=homeroom, date=date, rows=sel.homeroom_day(homeroom, date),
            prev_day=date - dt.timedelta(days=1), next_day=date + dt.timedelta(days=1), **kwargs)


class HomeroomMonthView(ActorMixin, TemplateView):
    template_name = "attendance/homeroom_month.html"

    def get_context_data(self, **kwargs):
        homeroom = get_object_or_404(homerooms_visible_to(self.actor), pk=self.kwargs["pk"])
        first = _first_of_month(self.request.GET.get("month"))
        return super().get_context_data(
            homeroom=homeroom, month=sel.homeroom_month(homeroom, first),
            prev_month=shift(first, -1), next_month=shift(first, 1), **kwargs)


class MyHomeroomsView(ActorMixin, TemplateView):
    """A homeroom teacher's entry: straight to their homeroom's day."""

    allowed_roles = (Role.HOMEROOM_TEACHER,)

    def get(self, request):
        homeroom = homerooms_visible_to(self.actor).filter(
            head_teacher=self.actor.staff).order_by("grade__number", "number").first()
        if homeroom is None:
            return redirect("school:home")
        return redirect("attendance:homeroom_day", pk=homeroom.pk)


class MyLessonsView(ActorMixin, TemplateView):
    """A tutor's (or substitute's) lessons, newest first, with their counts."""

    template_name = "attendance/my_lessons.html"

    def get_context_data(self, **kwargs):
        lessons = []
        page = None
        if self.actor.staff is not None:
            staff = self.actor.staff
            from django.db.models import Q

            mine = lessons_visible_to(self.actor).filter(
                Q(tutors=staff) | Q(substitute=staff), is_cancelled=False,
                date__lte=timezone.localdate()).distinct()
            page = Paginator(sel.lessons_with_counts(mine).order_by("-date", "-start_time"),
                             30).get_page(self.request.GET.get("page"))
            lessons = lessons_with_state(list(page.object_list), self.actor.school.pk)
        return super().get_context_data(
            lessons=lessons, page_obj=page, paginator=page.paginator if page else None,
            is_paginated=bool(page and page.has_other_pages()), **kwargs)


class RecordsReportView(ActorMixin, TemplateView):
    """The office and the principal: records by grade, homeroom, course and dates; .xlsx."""

    allowed_roles = OFFICE
    template_name = "attendance/records.html"

    def filters(self):
        get = self.request.GET
        grades = grades_visible_to(self.actor)
        homerooms = homerooms_visible_to(self.actor)
        courses = Course.objects.filter(school=self.actor.school).order_by("name")
        today = timezone.localdate()
        chosen = {
            "grade": grades.filter(pk=parse_id(get.get("grade"))).first()
            if parse_id(get.get("grade")) else None,
            "homeroom": homerooms.filter(pk=parse_id(get.get("homeroom"))).first()
            if parse_id(get.get("homeroom")) else None,
            "course": courses.filter(pk=parse_id(get.get("course"))).first()
            if parse_id(get.get("course")) else None,
            "date_from": date_param(get.get("date_from"), today - dt.timedelta(days=6)),
            "date_to": date_param(get.get("date_to"), today),
        }
        return chosen, {"grades": grades, "homerooms": homerooms, "courses": courses}

    def get(self, request, *args, **kwargs):
        chosen, options = self.filters()
        qs = sel.records_report(records_visible_to(self.actor), **chosen)
        if request.GET.get("format") == "xlsx":
            content = exports.records_workbook(qs, chosen)
            return xlsx_response(content, f"考勤记录{chosen['date_from']:%Y%m%d}-"
                                 f"{chosen['date_to']:%Y%m%d}.xlsx",
                                 fallback="attendance.xlsx")
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(self.get_context_data(
            chosen=chosen, totals=sel.record_totals(qs), page_obj=page, query=query.urlencode(),
            paginator=page.paginator, is_paginated=page.has_other_pages(),
            **options))


class CorrectionView(ActorMixin, TemplateView):
    """The coordinator corrects one record of a locked lesson, with a reason."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "attendance/correct.html"

    def record(self):
        return get_object_or_404(records_visible_to(self.actor).select_related(
            "lesson__term", "student__homeroom"), pk=self.kwargs["pk"])

    def get_context_data(self, record=None, form=None, **kwargs):
        record = record or self.record()
        return super().get_context_data(
            record=record, form=form or CorrectionForm(), lesson=record.lesson,
            history=record.corrections.select_related("corrected_by"), **kwargs)

    def post(self, request, pk):
        record = self.record()
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                record_correct(record=record, actor=self.actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已更正{record.student.name}的点名。")
                return redirect("attendance:roll_call", pk=record.lesson_id)
        return self.render_to_response(self.get_context_data(record=record, form=form),
                                       status=400)
