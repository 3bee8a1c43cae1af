"""Leave (请假) pages: ask (a guardian) or record (staff, for a family who phones), read one,
move it (approve, decline with a reason, cancel), and the homeroom teacher's queue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import children_of, students_visible_to
from afterschool.exceptions import DomainError
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import TEXT_TOO_LONG, safe_next
from afterschool.selectors import current_term

from .. import exceptions as errors
from .. import selectors
from ..access import leave_in_scope, leave_requests_visible_to
from ..display import (
    LEAVE_MOVE_LABELS,
    LEAVE_MOVE_STYLES,
    LEAVE_TONE,
    ROLE_LABELS,
    day_label,
    leave_span,
)
from ..models import LeaveRequest
from ..services import leave as services
from ..transitions import LEAVE_MACHINE

LeaveStatus = LeaveRequest.Status
DECIDERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
SEES_LEAVE = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.COORDINATOR, Role.PRINCIPAL)


class LeaveForm(forms.Form):
    KIND_CHOICES = [("days", "按天请假"), ("lessons", "只请某几节课")]

    kind = forms.ChoiceField(label="请假方式", choices=KIND_CHOICES, initial="days",
                             widget=forms.RadioSelect)
    start_date = forms.DateField(label="开始日期", required=False,
                                 widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date",
                                                                "class": "form-control"}))
    end_date = forms.DateField(label="结束日期", required=False,
                               widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date",
                                                              "class": "form-control"}),
                               help_text="只请一天时与开始日期相同，可不填")
    lessons = forms.MultipleChoiceField(label="课次", required=False,
                                        widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label="请假原因", max_length=200,
                             error_messages={"max_length": TEXT_TOO_LONG,
                                             "required": errors.LEAVE_REASON_REQUIRED},
                             widget=forms.Textarea(attrs={"rows": 2, "class": "form-control",
                                                          "placeholder": "如：发烧，在家休息"}))

    def __init__(self, *args, lessons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lesson_rows = list(lessons)
        self.fields["lessons"].choices = [
            (str(x.pk), f"{day_label(x.date)} {x.start_time:%H:%M} {x.title}")
            for x in self.lesson_rows]

    def clean(self):
        data = super().clean()
        if data.get("kind") == "lessons":
            if not data.get("lessons"):
                self.add_error("lessons", "请选择要请假的课次。")
        else:
            if not data.get("start_date"):
                self.add_error("start_date", errors.LEAVE_DATES_REQUIRED)
            elif not data.get("end_date"):
                data["end_date"] = data["start_date"]
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        if data["kind"] == "lessons":
            chosen = {int(pk) for pk in data["lessons"]}
            return {"lessons": [x for x in self.lesson_rows if x.pk in chosen],
                    "reason": data["reason"]}
        return {"start_date": data["start_date"], "end_date": data["end_date"],
                "reason": data["reason"]}


class LeaveCreateView(ActorMixin, View):
    """A guardian asks leave for their child; the homeroom teacher or the office records one
    a family asked for by phone (approved at once)."""

    allowed_roles = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.COORDINATOR)
    template_name = "attendance/leave_form.html"

    def _setup(self, student_pk):
        own = children_of(self.actor).filter(pk=student_pk).first()
        self.for_family = own is None
        if own is not None:
            self.student = own
        else:
            if not self.actor.has(Role.HOMEROOM_TEACHER, Role.COORDINATOR):
                raise Http404("找不到该学生")
            self.student = get_object_or_404(students_visible_to(self.actor), pk=student_pk)
        self.term = current_term(self.actor.school)
        if self.term is None:
            raise Http404("本学期尚未设置")
        self.lessons = selectors.upcoming_lessons_of(self.student.pk, since=timezone.now())

    def _render(self, form):
        return render(self.request, self.template_name, {
            "form": form, "student": self.student, "term": self.term, "actor": self.actor,
            "for_family": self.for_family, "has_lessons": bool(self.lessons)})

    def get(self, request, student_pk):
        self._setup(student_pk)
        today = timezone.localdate()
        return self._render(LeaveForm(lessons=self.lessons,
                                      initial={"start_date": today, "end_date": today}))

    def post(self, request, student_pk):
        self._setup(student_pk)
        form = LeaveForm(request.POST, lessons=self.lessons)
        if not form.is_valid():
            return self._render(form)
        create = (services.leave_record_for_family if self.for_family
                  else services.leave_request_create)
        try:
            leave = create(student=self.student, term=self.term, actor=self.actor,
                           **form.service_kwargs())
        except errors.LeaveError as exc:
            field = exc.field if exc.field in form.fields else None
            if field == "lessons" and form.cleaned_data.get("kind") != "lessons":
                field = None
            form.add_error(field, exc.message)
            return self._render(form)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self._render(form)
        if self.for_family:
            messages.success(request, f"已为{self.student.name}登记请假（{leave_span(leave)}），"
                                      "家长会收到通知。")
        else:
            messages.success(request, f"已提交{self.student.name}的请假（{leave_span(leave)}），"
                                      "等待班主任审批。")
        return redirect("attendance:leave_detail", leave.pk)


def moves_for(actor, leave: LeaveRequest) -> list[dict]:
    """The buttons this person may press on this leave (by the table, the role and scope)."""
    found = []
    for to_status, move in LEAVE_MACHINE.moves_from(leave.status):
        if any(actor.has(role) and leave_in_scope(actor, role, leave) for role in move.roles):
            found.append({"to": to_status, "name": move.name,
                          "label": LEAVE_MOVE_LABELS.get(move.name, move.name),
                          "style": LEAVE_MOVE_STYLES.get(move.name, "primary"),
                          "needs_comment": move.needs_comment})
    return found


class LeaveDetailView(ActorMixin, TemplateView):
    allowed_roles = SEES_LEAVE
    template_name = "attendance/leave_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        leave = get_object_or_404(selectors.leave_with_history(
            leave_requests_visible_to(self.actor)), pk=self.kwargs["pk"])
        ctx.update({"leave": leave, "span": leave_span(leave), "moves": moves_for(self.actor,
                                                                                  leave),
                    "history": list(leave.changes.all()), "role_labels": ROLE_LABELS,
                    "leave_tone": LEAVE_TONE,
                    "next": safe_next(self.request, self.request.GET.get("next"), "")})
        return ctx


class LeaveMoveView(ActorMixin, View):
    """One move of one leave: approve, decline (with a reason) or cancel."""

    allowed_roles = SEES_LEAVE

    def post(self, request, pk):
        leave = get_object_or_404(leave_requests_visible_to(self.actor), pk=pk)
        default = reverse("attendance:leave_detail", args=[leave.pk])
        to_status = request.POST.get("to_status", "")
        expected = request.POST.get("status", "")
        if to_status not in LeaveStatus.values or expected not in LeaveStatus.values:
            messages.error(request, "提交的数据有误，请刷新页面后重试。")
            return redirect(default)
        try:
            services.leave_transition(leave=leave, to_status=to_status, actor=self.actor,
                                      comment=request.POST.get("comment", "")[:1000],
                                      expected_status=expected)
        except DomainError as exc:
            messages.error(request, f"{leave.student.name}：{exc.message}")
            return redirect(safe_next(request, request.POST.get("next"), default))
        messages.success(request, f"{leave.student.name}的请假：{LeaveStatus(to_status).label}。")
        return redirect(safe_next(request, request.POST.get("next"), default))


class LeaveQueueView(ActorMixin, TemplateView):
    """班主任: their homeroom's leave waiting for a decision, then the recent ones; the office:
    the whole school's. Approve in one tap, decline with a reason, on a phone."""

    allowed_roles = DECIDERS + (Role.PRINCIPAL,)
    template_name = "attendance/leave_queue.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visible = leave_requests_visible_to(self.actor)
        if self.actor.has(Role.HOMEROOM_TEACHER) and not self.actor.is_school_wide:
            visible = visible.filter(student__homeroom__head_teacher=self.actor.staff)
        show = self.request.GET.get("show", "pending")
        if show not in ("pending", "recent"):
            show = "pending"
        if show == "pending":
            qs = selectors.leave_requests_listed(visible.filter(status=LeaveStatus.PENDING))
        else:
            qs = selectors.leave_requests_listed(visible.exclude(status=LeaveStatus.PENDING)).order_by(
                "-requested_at", "-pk")
        page = Paginator(qs, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = list(page.object_list)
        for leave in rows:
            leave.span = leave_span(leave)
            # The queue decides; cancelling is on the leave's own page.
            leave.moves = ([m for m in moves_for(self.actor, leave) if m["name"] != "cancel"]
                           if show == "pending" else [])
        ctx.update({"rows": rows, "show": show, "page_obj": page,
                    "paginator": page.paginator, "is_paginated": page.has_other_pages(),
                    "pending_count": visible.filter(status=LeaveStatus.PENDING).count(),
                    "here": self.request.get_full_path(), "leave_tone": LEAVE_TONE})
        return ctx
