"""The access log of children's sensitive details: the principal's 访问记录 of the whole school,
and a family's 谁查看了孩子的信息 about each of its own children (see afterschool/audit.py)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import ListView

from .. import access
from ..audit import viewer_for_family
from ..mixins import ActorMixin
from ..models import Role, SensitiveAccess
from ..months import month_key, month_text, shift
from ..params import month_param, parse_id, text_param


def _month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    end_month = shift(month, 1)
    return start, dt.datetime(end_month.year, end_month.month, 1, tzinfo=tz)


class AccessLogView(ActorMixin, ListView):
    """访问记录: who saw or exported which child's health, pickup persons or phone numbers,
    where and when; filtered by student, person, month, exports only. Two queries a page."""

    allowed_roles = (Role.PRINCIPAL,)
    template_name = "afterschool/access_log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        qs = (access.sensitive_access_visible_to(self.actor)
              .select_related("student__homeroom__grade"))
        get = self.request.GET
        self.filters = {"student": text_param(get.get("student"), 50),
                        "person": text_param(get.get("person"), 50),
                        "month": month_param(get.get("month")),
                        "export": get.get("export") == "1"}
        if self.filters["student"]:
            text = self.filters["student"]
            qs = qs.filter(Q(student__name__contains=text) | Q(student__student_no=text))
        if self.filters["person"]:
            qs = qs.filter(user_name__contains=self.filters["person"])
        if self.filters["month"]:
            start, end = _month_range(self.filters["month"])
            qs = qs.filter(at__gte=start, at__lt=end)
        if self.filters["export"]:
            qs = qs.filter(is_export=True)
        return qs.order_by("-at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        this_month = timezone.localdate().replace(day=1)
        ctx.update(filters=self.filters,
                   month_value=month_key(self.filters["month"]) if self.filters["month"] else "",
                   month_label=month_text(self.filters["month"]) if self.filters["month"] else "",
                   this_month=month_key(this_month),
                   retention_days=settings.ACCESS_LOG_RETENTION_DAYS)
        return ctx


class ChildAccessView(ActorMixin, ListView):
    """谁查看了孩子的信息: a guardian's page per child; other families' children answer 404."""

    allowed_roles = (Role.GUARDIAN,)
    template_name = "afterschool/child_access.html"
    context_object_name = "entries"
    paginate_by = 30

    def get_queryset(self):
        self.children = access.own_children(self.actor)
        wanted = parse_id(self.kwargs.get("student_pk"))
        if wanted is None:
            self.student = self.children[0] if self.children else None
        else:
            self.student = get_object_or_404(access.children_of(self.actor), pk=wanted)
        if self.student is None:
            return SensitiveAccess.objects.none()
        return (access.sensitive_access_visible_to(self.actor)
                .filter(student=self.student).order_by("-at", "-pk"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        for entry in ctx["entries"]:
            entry.viewer = viewer_for_family(entry)
        ctx.update(children=self.children, student=self.student,
                   retention_days=settings.ACCESS_LOG_RETENTION_DAYS)
        return ctx
