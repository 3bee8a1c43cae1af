"""Absence alert pages: the open alerts (the office, the duty teachers, a homeroom teacher's
homeroom), one alert with its story, and recording what became of the child."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import safe_next

from .. import selectors
from ..access import alerts_visible_to, may_handle_alert
from ..display import ALERT_OUTCOMES, ALERT_TONE, day_label
from ..models import AbsenceAlert
from ..services import alerts as services

AlertStatus = AbsenceAlert.Status
OPEN = (AlertStatus.OPEN, AlertStatus.ESCALATED)
SEES_ALERTS = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.TUTOR, Role.EXTERNAL_INSTRUCTOR,
               Role.DUTY_TEACHER, Role.COORDINATOR, Role.PRINCIPAL)
SEES_LIST = (Role.HOMEROOM_TEACHER, Role.DUTY_TEACHER, Role.COORDINATOR, Role.PRINCIPAL)


class AlertListView(ActorMixin, TemplateView):
    """缺勤提醒: open ones first (escalated at the top), then today's handled ones; "全部"
    shows the term's."""

    allowed_roles = SEES_LIST
    template_name = "attendance/alert_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visible = alerts_visible_to(self.actor)
        if (self.actor.has(Role.HOMEROOM_TEACHER) and not self.actor.is_school_wide
                and not self.actor.has(Role.DUTY_TEACHER)):
            visible = visible.filter(student__homeroom__head_teacher=self.actor.staff)
        show = self.request.GET.get("show", "open")
        if show not in ("open", "all"):
            show = "open"
        qs = visible.filter(status__in=OPEN) if show == "open" else visible
        qs = selectors.alerts_listed(qs)
        if show == "open":
            qs = qs.order_by("status", "raised_at", "pk")   # escalated first, oldest first
        page = Paginator(qs, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = list(page.object_list)
        for alert in rows:
            alert.day_label = day_label(alert.lesson.date)
        ctx.update({"rows": rows, "show": show, "page_obj": page, "paginator": page.paginator,
                    "is_paginated": page.has_other_pages(),
                    "open_count": visible.filter(status__in=OPEN).count(),
                    "outcomes": ALERT_OUTCOMES, "alert_tone": ALERT_TONE,
                    "here": self.request.get_full_path(), "today": timezone.localdate()})
        return ctx


class AlertDetailView(ActorMixin, TemplateView):
    allowed_roles = SEES_ALERTS
    template_name = "attendance/alert_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        alert = get_object_or_404(selectors.alerts_listed(alerts_visible_to(self.actor)),
                                  pk=self.kwargs["pk"])
        ctx.update({"alert": alert, "day_label": day_label(alert.lesson.date),
                    "may_handle": alert.status in OPEN and may_handle_alert(self.actor, alert),
                    "outcomes": ALERT_OUTCOMES, "alert_tone": ALERT_TONE})
        return ctx


class AlertHandleView(ActorMixin, View):
    """Record the outcome ("家长已接回", "已联系，在家"); the first answer stands."""

    allowed_roles = SEES_ALERTS

    def post(self, request, pk):
        alert = get_object_or_404(alerts_visible_to(self.actor), pk=pk)
        default = reverse("attendance:alert_detail", args=[alert.pk])
        outcome = (request.POST.get("outcome_text") or request.POST.get("outcome") or "")
        try:
            services.alert_handle(alert=alert, actor=self.actor, outcome=outcome[:1000])
        except DomainError as exc:
            messages.error(request, f"{alert.student.name}：{exc.message}")
            return redirect(default)
        messages.success(request, f"已记录{alert.student.name}的处理结果：{outcome.strip()}。")
        return redirect(safe_next(request, request.POST.get("next"), default))
