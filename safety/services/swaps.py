"""Swaps of duties (调班): asked by one teacher, accepted by the other, approved by the office.

Both duties are locked (in id order, so two swaps of the same duties cannot deadlock) for the
request and again for the approval, which re-checks everything: the duties may have changed
since (a regeneration, another swap), and an approval never writes a roster that breaks a rule
a request would have been refused for.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Staff
from afterschool.notifications import NoticeSpec, notices_send
from attendance.display import day_label

from .. import exceptions as e
from ..models import DutyAssignment, DutyKind, DutyRoster, DutySwap, DutyUnavailability
from ..transitions import SWAP_MACHINE, SWAP_OPEN

S = DutySwap.Status


def _locked(*assignments: DutyAssignment) -> list[DutyAssignment]:
    ids = sorted(a.pk for a in assignments)
    rows = {a.pk: a for a in DutyAssignment.objects.select_for_update(of=("self",))
            .filter(pk__in=ids).select_related("staff", "roster__term")}
    return [rows.get(a.pk) for a in assignments]


def _check_exchange(mine: DutyAssignment, theirs: DutyAssignment, *,
                    today: dt.date) -> None:
    """Everything an exchange of these two duties must satisfy, else the refusal."""
    kind = DutyKind(mine.kind).label
    if mine.kind != theirs.kind:
        raise e.SafetyError(e.SWAP_KIND_DIFFERS.format(
            kind=kind, name=theirs.staff.name, day=day_label(theirs.date),
            other=DutyKind(theirs.kind).label))
    for a in (mine, theirs):
        if a.date <= today:
            raise e.SafetyError(e.SWAP_PAST.format(day=day_label(a.date)))
    term = mine.roster.term
    for person, day in ((theirs.staff, mine.date), (mine.staff, theirs.date)):
        if DutyUnavailability.objects.filter(term=term, staff=person, date=day).exists():
            raise e.SafetyError(e.SWAP_PARTNER_UNAVAILABLE.format(name=person.name,
                                                                  day=day_label(day)))
        if DutyAssignment.objects.filter(roster=mine.roster, date=day, kind=mine.kind,
                                         staff=person).exists():
            raise e.SafetyError(e.SWAP_BUSY.format(name=person.name, day=day_label(day),
                                                   kind=kind))


def _open_swap_of(assignment: DutyAssignment) -> bool:
    return DutySwap.objects.filter(status__in=SWAP_OPEN).filter(
        Q(mine=assignment) | Q(theirs=assignment)).exists()


@transaction.atomic
def swap_request(*, actor: Actor, mine: DutyAssignment, partner: Staff, partner_date: dt.date,
                 reason: str = "", now: dt.datetime | None = None) -> DutySwap:
    """Ask ``partner`` to take ``mine`` in exchange for their duty of the same kind on
    ``partner_date``. Refused when the partner has no such duty on the roster."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise e.SafetyError(e.SWAP_REASON_TOO_LONG.format(length=len(reason)), field="reason")
    if actor.staff is None or mine.staff_id != actor.staff.pk:
        raise e.SafetyError(e.SWAP_NOT_YOURS)
    if actor.school is None or mine.roster.term.school_id != actor.school.pk:
        raise e.SafetyError(e.SWAP_NOT_YOURS)
    if partner.pk == actor.staff.pk:
        raise e.SafetyError(e.SWAP_SELF, field="partner")
    if partner.school_id != actor.school.pk or not partner.is_active:
        raise e.SafetyError(e.STAFF_OTHER_SCHOOL.format(name=partner.name), field="partner")
    theirs = (DutyAssignment.objects.filter(roster=mine.roster, staff=partner, date=partner_date)
              .order_by("-kind", "pk"))
    theirs = theirs.filter(kind=mine.kind).first() or theirs.first()
    if theirs is None:
        raise e.SafetyError(e.SWAP_NOT_ON_ROSTER.format(
            name=partner.name, kind=DutyKind(mine.kind).label), field="partner_date")
    mine, theirs = _locked(mine, theirs)
    if mine is None or theirs is None or mine.staff_id != actor.staff.pk:
        raise e.SafetyError(e.SWAP_STALE.format(what="值日已变更"))
    _check_exchange(mine, theirs, today=today)
    for a in (mine, theirs):
        if _open_swap_of(a):
            raise e.SafetyError(e.SWAP_PENDING.format(day=day_label(a.date), name=a.staff.name))
    swap = DutySwap(roster=mine.roster, mine=mine, theirs=theirs, requester=mine.staff,
                    partner=theirs.staff, kind=mine.kind, requester_date=mine.date,
                    partner_date=theirs.date, reason=reason, requested_at=now)
    swap.full_clean()
    swap.save()
    _tell(swap, [swap.partner], f"调班申请：{swap.requester.name}想与您调换值日",
          f"{swap.requester.name}想用{day_label(swap.requester_date)}的值日换您"
          f"{day_label(swap.partner_date)}的值日" + (f"，原因：{reason}" if reason else "")
          + "。请在值日页面同意或不同意。")
    return swap


def _in_scope(actor: Actor, swap: DutySwap, to_status: str):
    def check(role: str) -> bool:
        if actor.school is None or swap.roster.term.school_id != actor.school.pk:
            return False
        if to_status in (S.APPROVED, S.REJECTED):
            return True
        if to_status in (S.ACCEPTED, S.DECLINED):
            return actor.staff is not None and actor.staff.pk == swap.partner_id
        return actor.staff is not None and actor.staff.pk == swap.requester_id  # cancel
    return check


@transaction.atomic
def swap_transition(*, swap: DutySwap, to_status: str, actor: Actor, comment: str = "",
                    expected_status: str | None = None,
                    now: dt.datetime | None = None) -> DutySwap:
    """Accept, decline, cancel, approve or reject a swap; an approval exchanges the duties.

    ``expected_status``: the status the person saw; a swap moved since is refused (a second
    tap, or someone else was quicker)."""
    now = now or timezone.now()
    swap = (DutySwap.objects.select_for_update(of=("self",))
            .select_related("roster__term", "requester__user", "partner__user").get(pk=swap.pk))
    if expected_status and swap.status != expected_status:
        raise e.SafetyError(e.SWAP_ALREADY_MOVED.format(status=swap.get_status_display()))
    move = SWAP_MACHINE.check(swap.status, to_status)
    role = SWAP_MACHINE.authorise(move, actor, in_scope=_in_scope(actor, swap, to_status))
    comment = (comment or "").strip()
    SWAP_MACHINE.require_comment(move, comment)
    if to_status in (S.ACCEPTED, S.APPROVED):
        if swap.mine_id is None or swap.theirs_id is None:
            raise e.SafetyError(e.SWAP_STALE.format(what="值日表已重新生成"))
        mine, theirs = _locked(swap.mine, swap.theirs)
        if (mine.staff_id, mine.date, theirs.staff_id, theirs.date) != (
                swap.requester_id, swap.requester_date, swap.partner_id, swap.partner_date):
            raise e.SafetyError(e.SWAP_STALE.format(what="其中一次值日已换人或改期"))
        _check_exchange(mine, theirs, today=timezone.localdate(now))
        if to_status == S.APPROVED:
            mine.staff_id, theirs.staff_id = swap.partner_id, swap.requester_id
            mine.swapped = theirs.swapped = True
            # The two duties are on different days (_check_exchange), so neither update
            # meets the other row in the unique (roster, date, kind, staff) key.
            for a in (mine, theirs):
                a.save(update_fields=["staff", "swapped"])
    values = {"decided_at": now} if to_status != S.ACCEPTED else {}
    SWAP_MACHINE.apply(swap, to_status, actor=actor, role=role, comment=comment,
                       values=values, at=now)
    label = SWAP_MACHINE.label(move)
    if to_status == S.ACCEPTED:
        _tell(swap, [swap.requester], f"调班：{swap.partner.name}已同意，等待办公室审批",
              _swap_line(swap))
        _tell_office(swap, f"调班待审批：{swap.requester.name} ⇄ {swap.partner.name}")
    else:
        people = {S.CANCELLED: [swap.partner], S.DECLINED: [swap.requester]}.get(
            to_status, [swap.requester, swap.partner])
        _tell(swap, people, f"调班{label}：{swap.requester.name} ⇄ {swap.partner.name}",
              _swap_line(swap) + (f"。说明：{comment}" if comment else ""))
    return swap


def _swap_line(swap: DutySwap) -> str:
    return (f"{swap.requester.name}{day_label(swap.requester_date)}的值日与"
            f"{swap.partner.name}{day_label(swap.partner_date)}的值日调换")


def _tell(swap: DutySwap, people, title: str, body: str) -> None:
    specs = [NoticeSpec(user=p.user, title=title, body=body, url=reverse("safety:swaps"))
             for p in people if p.user_id]
    notices_send(school=swap.roster.term.school, specs=specs)


def _tell_office(swap: DutySwap, title: str) -> None:
    from attendance.duty import office_staff_of

    specs = [NoticeSpec(user=u, title=title, body=_swap_line(swap), url=reverse("safety:swaps"))
             for u in office_staff_of(swap.roster.term.school_id)]
    notices_send(school=swap.roster.term.school, specs=specs)


def swappable_partners(roster: DutyRoster, mine: DutyAssignment, *, today: dt.date):
    """The other people's duties of the same kind after today, for the request form."""
    return (DutyAssignment.objects.filter(roster=roster, kind=mine.kind, date__gt=today)
            .exclude(staff=mine.staff).exclude(date=mine.date)
            .select_related("staff").order_by("date", "staff__name"))
