"""Swaps of duties (调班): ask from one of my duties, answer, approve."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from afterschool.exceptions import DomainError
from afterschool.forms import add_domain_error
from afterschool.mixins import ActorMixin
from afterschool.models import Role
from afterschool.params import safe_next
from attendance.display import day_label

from .. import selectors as sel
from ..access import is_leader, rosters_visible_to, swaps_visible_to
from ..display import SWAP_MOVE_LABELS, SWAP_MOVE_STYLES, SWAP_TONE
from ..forms import SwapForm
from ..models import DutyAssignment, DutySwap
from ..services import swap_request, swap_transition, swappable_partners
from ..transitions import SWAP_MACHINE, SWAP_OPEN
from .roster import StaffGate

S = DutySwap.Status


def moves_for(actor, swap: DutySwap) -> list[dict]:
    """The buttons this person may press on this swap."""
    found = []
    staff_id = actor.staff.pk if actor.staff else None
    for to_status, move in SWAP_MACHINE.moves_from(swap.status):
        if move.name in ("accept", "decline") and staff_id != swap.partner_id:
            continue
        if move.name == "cancel" and staff_id != swap.requester_id:
            continue
        if move.name in ("approve", "reject") and not actor.has(Role.COORDINATOR):
            continue
        found.append({"to": to_status, "name": move.name, "label": SWAP_MOVE_LABELS[move.name],
                      "style": SWAP_MOVE_STYLES[move.name], "needs_comment": move.needs_comment})
    return found


class SwapListView(ActorMixin, StaffGate, TemplateView):
    """My swaps (asked, and asked of me); the office's queue of swaps to approve."""

    template_name = "safety/swaps.html"

    def get_context_data(self, **kwargs):
        visible = sel.swaps_listed(swaps_visible_to(self.actor))
        mine = []
        if self.actor.staff is not None:
            mine = list(visible.filter(Q(requester=self.actor.staff)
                                       | Q(partner=self.actor.staff))[:50])
        queue = []
        if is_leader(self.actor):
            queue = list(visible.filter(status=S.ACCEPTED).order_by("requested_at", "pk"))
        recent = list(visible.exclude(status__in=SWAP_OPEN)[:30]) if is_leader(self.actor) else []
        for swap in [*mine, *queue, *recent]:
            swap.moves = moves_for(self.actor, swap)
            swap.tone = SWAP_TONE[swap.status]
        return super().get_context_data(mine=mine, queue=queue, recent=recent, **kwargs)


class SwapCreateView(ActorMixin, StaffGate, TemplateView):
    """Ask to exchange one of my duties with someone else's of the same kind."""

    template_name = "safety/swap_new.html"

    def assignment(self) -> DutyAssignment:
        if self.actor.staff is None:
            raise Http404("您没有值日安排。")
        return get_object_or_404(
            DutyAssignment.objects.select_related("roster__term", "staff").filter(
                roster__in=rosters_visible_to(self.actor), staff=self.actor.staff),
            pk=self.kwargs["pk"])

    def get_context_data(self, form=None, **kwargs):
        mine = self.assignment()
        options = list(swappable_partners(mine.roster, mine, today=timezone.localdate()))
        for option in options:
            option.label = f"{day_label(option.date)} {option.staff.name}"
        return super().get_context_data(
            mine=mine, options=options, form=form or SwapForm(options=options), **kwargs)

    def post(self, request, pk):
        mine = self.assignment()
        options = list(swappable_partners(mine.roster, mine, today=timezone.localdate()))
        form = SwapForm(request.POST, options=options)
        if form.is_valid():
            # The choice is one of the options listed, so the partner is already loaded.
            chosen = form.cleaned_data["theirs"]
            theirs = next(a for a in options
                          if f"{a.staff_id}:{a.date.isoformat()}" == chosen)
            try:
                swap = swap_request(actor=self.actor, mine=mine, partner=theirs.staff,
                                    partner_date=theirs.date,
                                    reason=form.cleaned_data["reason"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已向{swap.partner.name}发出调班申请，等待对方同意。")
                return redirect("safety:swaps")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SwapMoveView(ActorMixin, StaffGate, View):
    def post(self, request, pk):
        swap = get_object_or_404(swaps_visible_to(self.actor), pk=pk)
        to_status = request.POST.get("to_status", "")
        expected = request.POST.get("status", "")
        default = "safety:swaps"
        if to_status not in S.values or expected not in S.values:
            messages.error(request, "提交的数据有误，请刷新页面后重试。")
            return redirect(default)
        try:
            swap_transition(swap=swap, to_status=to_status, actor=self.actor,
                            comment=request.POST.get("comment", "")[:500],
                            expected_status=expected)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"调班（{swap.requester.name} ⇄ {swap.partner.name}）："
                             f"{S(to_status).label}。")
        return redirect(safe_next(request, request.POST.get("next"), reverse(default)))
