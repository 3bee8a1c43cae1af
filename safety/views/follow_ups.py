"""Follow-ups (整改): the open ones for the office, mine for the person assigned, one with its
story and the buttons this person may press."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.access import staff_visible_to
from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role

from .. import selectors as sel
from ..access import follow_ups_visible_to, is_leader
from ..display import FOLLOW_UP_MOVE_LABELS, FOLLOW_UP_MOVE_STYLES, FOLLOW_UP_TONE
from ..forms import FollowUpAssignForm, FollowUpCommentForm
from ..models import FollowUp
from ..services import follow_up_transition, policy_for
from ..transitions import FOLLOW_UP_MACHINE, FOLLOW_UP_OPEN
from .roster import StaffGate

F = FollowUp.Status


def moves_for(actor, follow_up: FollowUp) -> list[dict]:
    found = []
    office = actor.has(Role.COORDINATOR)
    mine = actor.staff is not None and follow_up.assignee_id == actor.staff.pk
    for to_status, move in FOLLOW_UP_MACHINE.moves_from(follow_up.status):
        if move.name == "report" and not mine:
            continue
        if move.name != "report" and not office:
            continue
        found.append({"to": to_status, "name": move.name,
                      "label": FOLLOW_UP_MOVE_LABELS[move.name],
                      "style": FOLLOW_UP_MOVE_STYLES[move.name],
                      "needs_comment": move.needs_comment,
                      "assigns": move.name in ("assign", "reassign")})
    return found


class FollowUpListView(ActorMixin, StaffGate, TemplateView):
    """整改: open ones first (overdue marked), then recently closed."""

    template_name = "safety/follow_ups.html"

    def get_context_data(self, **kwargs):
        visible = sel.follow_ups_listed(follow_ups_visible_to(self.actor))
        show = self.request.GET.get("show", "open")
        if show not in ("open", "closed"):
            show = "open"
        if show == "open":
            rows = list(visible.filter(status__in=FOLLOW_UP_OPEN))
        else:
            rows = list(visible.filter(status=F.CLOSED).order_by("-closed_at", "-pk")[:50])
        today = timezone.localdate()
        for row in rows:
            row.tone = FOLLOW_UP_TONE[row.status]
            row.overdue = row.status != F.CLOSED and row.due_date is not None \
                and row.due_date < today
            row.findings = row.patrol.finding_labels()
        return super().get_context_data(rows=rows, show=show, **kwargs)


class FollowUpDetailView(ActorMixin, StaffGate, TemplateView):
    template_name = "safety/follow_up.html"

    def follow_up(self):
        return get_object_or_404(sel.follow_up_with_history(follow_ups_visible_to(self.actor)),
                                 pk=self.kwargs["pk"])

    def get_context_data(self, follow_up=None, assign_form=None, comment_form=None, **kwargs):
        follow_up = follow_up or self.follow_up()
        moves = moves_for(self.actor, follow_up)
        staff = []
        if any(m["assigns"] for m in moves):
            staff = list(staff_visible_to(self.actor).filter(is_active=True).order_by("name"))
        if assign_form is None:
            days = policy_for(follow_up.school_id).follow_up_days
            default = follow_up.assignee_id or follow_up.patrol.teacher_id
            assign_form = FollowUpAssignForm(staff=staff, initial={
                "assignee": default,
                "due_date": follow_up.due_date or timezone.localdate()
                + dt.timedelta(days=days)})
        follow_up.findings = follow_up.patrol.finding_labels()
        return super().get_context_data(
            follow_up=follow_up, patrol=follow_up.patrol, moves=moves,
            assign_form=assign_form, comment_form=comment_form or FollowUpCommentForm(),
            tone=FOLLOW_UP_TONE[follow_up.status], is_leader=is_leader(self.actor),
            overdue=follow_up.status != F.CLOSED and follow_up.due_date is not None
            and follow_up.due_date < timezone.localdate(), **kwargs)


class FollowUpMoveView(FollowUpDetailView, View):
    """POST one move; a refusal shows the page again with the message on the form."""

    http_method_names = ["post"]

    def post(self, request, pk):
        follow_up = self.follow_up()
        to_status = request.POST.get("to_status", "")
        expected = request.POST.get("status", "")
        if to_status not in F.values or expected not in F.values:
            messages.error(request, "提交的数据有误，请刷新页面后重试。")
            return redirect("safety:follow_up", pk=follow_up.pk)
        assigns = to_status == F.ASSIGNED and follow_up.status in (F.OPEN, F.ASSIGNED)
        staff = list(staff_visible_to(self.actor).filter(is_active=True)) if assigns else []
        if assigns:
            form = FollowUpAssignForm(request.POST, staff=staff)
            comment_form = None
        else:
            form = FollowUpCommentForm(request.POST)
            comment_form = form
        if form.is_valid():
            data = form.cleaned_data
            assignee = next((s for s in staff if s.pk == data.get("assignee")), None)
            try:
                follow_up_transition(follow_up=follow_up, to_status=to_status,
                                     actor=self.actor, comment=data.get("comment", ""),
                                     assignee=assignee, due_date=data.get("due_date"),
                                     expected_status=expected)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"整改：{F(to_status).label}。")
                return redirect("safety:follow_up", pk=follow_up.pk)
        return self.render_to_response(self.get_context_data(
            follow_up=follow_up, assign_form=form if assigns else None,
            comment_form=comment_form), status=400)
