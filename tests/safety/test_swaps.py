"""Swaps of duties (调班): asked, accepted, approved; each refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from afterschool.models import Notice
from safety import exceptions as e
from safety.models import DutyAssignment, DutyKind, DutySwap, DutyUnavailability
from safety.services import swap_request, swap_transition
from tests import factories as f

from .builders import actor_of, office, roster_by_hand, term_around_today

pytestmark = pytest.mark.django_db
S = DutySwap.Status
T, L = DutyKind.TEACHER, DutyKind.LEADER


@pytest.fixture
def duties(world):
    """The tutor on duty in 3 days, the duty teacher in 5 days, the principal leader in 4."""
    term = term_around_today(world.term)
    today = timezone.localdate()
    d3, d4, d5 = (today + dt.timedelta(days=n) for n in (3, 4, 5))
    principal = world.school.staff.get(user=world.principal)
    roster = roster_by_hand(term, [(d3, world.tutor, T), (d5, world.duty_teacher, T),
                                   (d4, principal, L), (today, world.homeroom_teacher, T)])
    get = DutyAssignment.objects.get
    return {"roster": roster, "mine": get(staff=world.tutor), "theirs": get(
        staff=world.duty_teacher), "leader": get(staff=principal), "today": get(
        staff=world.homeroom_teacher), "d3": d3, "d5": d5}


def test_asked_accepted_approved_exchanges_the_duties(world, duties):
    tutor, duty = actor_of(world.tutor, world), actor_of(world.duty_teacher, world)
    swap = swap_request(actor=tutor, mine=duties["mine"], partner=world.duty_teacher,
                        partner_date=duties["d5"], reason="外出培训")
    assert (swap.status, swap.requester, swap.partner) == (S.REQUESTED, world.tutor,
                                                           world.duty_teacher)
    assert Notice.objects.filter(user=world.duty_teacher.user,
                                 title__startswith="调班申请").exists()
    swap_transition(swap=swap, to_status=S.ACCEPTED, actor=duty)
    swap = swap_transition(swap=swap, to_status=S.APPROVED, actor=office(world))
    mine, theirs = (DutyAssignment.objects.get(pk=duties[k].pk) for k in ("mine", "theirs"))
    assert (mine.date, mine.staff) == (duties["d3"], world.duty_teacher)
    assert (theirs.date, theirs.staff) == (duties["d5"], world.tutor)
    assert mine.swapped and theirs.swapped
    assert list(swap.changes.values_list("to_status", "actor_role")) == [
        (S.ACCEPTED, "tutor"), (S.APPROVED, "coordinator")]
    assert swap.decided_at is not None


def test_a_swap_with_someone_not_on_the_roster_is_refused(world, duties):
    with pytest.raises(e.SafetyError) as caught:
        swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                     partner=world.other_homeroom_teacher, partner_date=duties["d5"])
    assert caught.value.message == e.SWAP_NOT_ON_ROSTER.format(
        name=world.other_homeroom_teacher.name, kind="值日教师")
    assert not DutySwap.objects.exists()


@pytest.mark.parametrize("case", ["self", "not_mine", "kind", "past", "unavailable", "busy",
                                  "foreign", "pending"])
def test_refusals_write_nothing(world, duties, case):
    tutor = actor_of(world.tutor, world)
    mine, partner, day = duties["mine"], world.duty_teacher, duties["d5"]
    expected = None
    if case == "self":
        partner, expected = world.tutor, e.SWAP_SELF
    elif case == "not_mine":
        mine = duties["theirs"]
        partner, day, expected = world.tutor, duties["d3"], e.SWAP_NOT_YOURS
    elif case == "kind":
        partner, day = duties["leader"].staff, duties["leader"].date
        expected = "只能与另一位值日教师调换"
    elif case == "past":
        partner, day = world.homeroom_teacher, timezone.localdate()
        expected = "已经过去或就在今天"
    elif case == "unavailable":
        DutyUnavailability.objects.create(term=world.term, staff=world.duty_teacher,
                                          date=duties["d3"])
        expected = "登记了"
    elif case == "busy":
        DutyAssignment.objects.create(roster=duties["roster"], date=duties["d3"],
                                      staff=world.duty_teacher, kind=T)
        expected = "一天两班"
    elif case == "foreign":
        partner, expected = f.StaffFactory(school=world.other_school), "不是本校教职工"
    elif case == "pending":
        swap_request(actor=actor_of(world.homeroom_teacher, world), mine=DutyAssignment
                     .objects.create(roster=duties["roster"], staff=world.homeroom_teacher,
                                     date=duties["d5"] + dt.timedelta(days=1), kind=T),
                     partner=world.duty_teacher, partner_date=duties["d5"])
        expected = "未办结的调班申请"
    before = DutySwap.objects.count()
    with pytest.raises(e.SafetyError) as caught:
        swap_request(actor=tutor, mine=mine, partner=partner, partner_date=day)
    assert expected in caught.value.message
    assert DutySwap.objects.count() == before
    assert DutyAssignment.objects.get(pk=duties["mine"].pk).staff == world.tutor


def test_who_may_make_which_move(world, duties):
    swap = swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                        partner=world.duty_teacher, partner_date=duties["d5"])
    # Only the partner answers; only the office approves, and only once accepted.
    with pytest.raises(e.SwapTransitionRefused, match="与您无关"):
        swap_transition(swap=swap, to_status=S.ACCEPTED, actor=actor_of(world.tutor, world))
    with pytest.raises(e.SwapTransitionRefused, match="不能改为"):
        swap_transition(swap=swap, to_status=S.APPROVED, actor=office(world))
    swap_transition(swap=swap, to_status=S.ACCEPTED, actor=actor_of(world.duty_teacher, world))
    with pytest.raises(e.SwapTransitionRefused, match="没有权限"):
        swap_transition(swap=swap, to_status=S.APPROVED,
                        actor=actor_of(world.duty_teacher, world))
    with pytest.raises(e.SwapTransitionRefused, match="原因"):
        swap_transition(swap=swap, to_status=S.REJECTED, actor=office(world))
    foreign = f.StaffFactory(school=world.other_school)
    f.grant(foreign.user, "coordinator", world.other_school)
    from afterschool.access import actor_for

    with pytest.raises(e.SwapTransitionRefused):
        swap_transition(swap=swap, to_status=S.APPROVED,
                        actor=actor_for(foreign.user, world.other_school))
    swap_transition(swap=swap, to_status=S.REJECTED, actor=office(world), comment="当天有检查")
    swap.refresh_from_db()
    assert swap.status == S.REJECTED
    assert DutyAssignment.objects.get(pk=duties["mine"].pk).staff == world.tutor


def test_a_second_tap_is_refused_as_already_moved(world, duties):
    swap = swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                        partner=world.duty_teacher, partner_date=duties["d5"])
    duty = actor_of(world.duty_teacher, world)
    swap_transition(swap=swap, to_status=S.ACCEPTED, actor=duty, expected_status=S.REQUESTED)
    with pytest.raises(e.SafetyError, match="刚刚已被办理"):
        swap_transition(swap=swap, to_status=S.DECLINED, actor=duty,
                        expected_status=S.REQUESTED)


def test_an_approval_rechecks_the_roster(world, duties):
    """Accepted, then the partner declares the day unavailable: the office's approval is
    refused, and the duties stay where they were."""
    swap = swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                        partner=world.duty_teacher, partner_date=duties["d5"])
    swap_transition(swap=swap, to_status=S.ACCEPTED, actor=actor_of(world.duty_teacher, world))
    DutyUnavailability.objects.create(term=world.term, staff=world.duty_teacher,
                                      date=duties["d3"])
    with pytest.raises(e.SafetyError, match="登记了"):
        swap_transition(swap=swap, to_status=S.APPROVED, actor=office(world))
    swap.refresh_from_db()
    assert swap.status == S.ACCEPTED
    assert DutyAssignment.objects.get(pk=duties["mine"].pk).staff == world.tutor


def test_the_requester_cancels(world, duties):
    swap = swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                        partner=world.duty_teacher, partner_date=duties["d5"])
    with pytest.raises(e.SwapTransitionRefused):
        swap_transition(swap=swap, to_status=S.CANCELLED,
                        actor=actor_of(world.duty_teacher, world))
    swap_transition(swap=swap, to_status=S.CANCELLED, actor=actor_of(world.tutor, world))
    swap.refresh_from_db()
    assert swap.status == S.CANCELLED
    # The duty is free to be asked about again.
    again = swap_request(actor=actor_of(world.tutor, world), mine=duties["mine"],
                         partner=world.duty_teacher, partner_date=duties["d5"])
    assert again.status == S.REQUESTED
