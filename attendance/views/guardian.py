"""A family's view of attendance, and every child's history and day record.

Guardians see their own children (today's state, leave, alerts); the history and the day record
of a child are also what the homeroom teacher, the office and the child's tutors open, each
through ``students_visible_to`` (404 when missing or not theirs).
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from afterschool.access import children_of, students_visible_to
from afterschool.mixins import ActorMixin
from afterschool.models import Role

from .. import selectors
from ..access import leave_requests_visible_to
from ..display import ALERT_TONE, LEAVE_TONE, RECORD_TONE, day_label
from ..models import AbsenceAlert, LeaveRequest
from ..transitions import HOLDING

SEES_RECORDS = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR,
                Role.COORDINATOR, Role.PRINCIPAL, Role.DUTY_TEACHER)


def _tones() -> dict:
    return {"record_tone": RECORD_TONE, "leave_tone": LEAVE_TONE, "alert_tone": ALERT_TONE}


class MyAttendanceView(ActorMixin, TemplateView):
    """家长: each child's day today, the leave asked and coming, and open absence alerts."""

    allowed_roles = (Role.GUARDIAN,)
    template_name = "attendance/my.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        children = list(children_of(self.actor))
        ids = [c.pk for c in children]
        today_records = selectors.records_on(student_ids=ids, day=today)
        leaves = list(selectors.leave_requests_listed(
            leave_requests_visible_to(self.actor).filter(student_id__in=ids,
                                                         end_date__gte=today))
            .order_by("start_date", "pk"))
        alerts = list(AbsenceAlert.objects.filter(
            student_id__in=ids, status__in=(AbsenceAlert.Status.OPEN,
                                            AbsenceAlert.Status.ESCALATED))
            .select_related("lesson").order_by("-raised_at"))
        for child in children:
            child.today_records = today_records.get(child.pk, [])
            child.leaves = [x for x in leaves if x.student_id == child.pk]
            child.open_alerts = [a for a in alerts if a.student_id == child.pk]
        ctx.update({"children": children, "today": today, "today_label": day_label(today),
                    "holding": HOLDING, **_tones()})
        return ctx


class StudentMixin(ActorMixin):
    allowed_roles = SEES_RECORDS

    def get_student(self):
        return get_object_or_404(students_visible_to(self.actor), pk=self.kwargs["pk"])


class StudentHistoryView(StudentMixin, TemplateView):
    """A child's attendance history, newest first, a page of lessons at a time."""

    template_name = "attendance/student_history.html"
    paginate_by = 60

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        student = self.get_student()
        page = Paginator(selectors.student_records(student.pk),
                         self.paginate_by).get_page(self.request.GET.get("page"))
        records = list(page.object_list)
        days: list[dict] = []
        for record in records:
            if not days or days[-1]["date"] != record.lesson.date:
                days.append({"date": record.lesson.date, "label": day_label(record.lesson.date),
                             "records": []})
            days[-1]["records"].append(record)
        counts = {}
        for record in records:
            counts[record.status] = counts.get(record.status, 0) + 1
        leaves = list(selectors.leave_requests_listed(
            leave_requests_visible_to(self.actor).filter(student=student))
            .order_by("-start_date", "-pk")[:10])
        ctx.update({"student": student, "days": days, "page_obj": page,
                    "paginator": page.paginator, "is_paginated": page.has_other_pages(),
                    "leaves": leaves, "is_guardian": self.actor.has(Role.GUARDIAN)
                    and children_of(self.actor).filter(pk=student.pk).exists(),
                    "may_record_leave": self.actor.has(Role.HOMEROOM_TEACHER, Role.COORDINATOR),
                    **_tones()})
        return ctx


class StudentDayView(StudentMixin, TemplateView):
    """The child's day record: each lesson, its roll call, the leave, the alert and who did
    what about it, the corrections."""

    template_name = "attendance/student_day.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        student = self.get_student()
        try:
            day = dt.date.fromisoformat(self.kwargs["day"])
        except ValueError as exc:
            raise Http404("日期格式不正确") from exc
        records = selectors.student_day(student.pk, day)
        leaves = list(selectors.leave_requests_listed(
            leave_requests_visible_to(self.actor).filter(
                student=student, start_date__lte=day, end_date__gte=day)))
        ctx.update({"student": student, "day": day, "day_label": day_label(day),
                    "records": records, "leaves": leaves,
                    "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
                    "LeaveStatus": LeaveRequest.Status, **_tones()})
        return ctx
