"""Two people at once, for real: threads with their own PostgreSQL connections, released
together by a barrier. The row locks and the expected status make one of them win; the other
is told, and nothing of its request is written."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from afterschool.access import actor_for
from safety import exceptions as e
from safety.models import DutyAssignment, DutyKind, DutyRoster, DutySwap, FollowUp
from safety.services import follow_up_transition, roster_generate, swap_request, swap_transition
from tests import factories as f

from .builders import actor_of, lesson_now, office, roster_by_hand, term_around_today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL（设置 DATABASE_URL）")


def at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_swaps_of_the_same_duty_at_once_make_one(world):
    term = term_around_today(world.term)
    today = timezone.localdate()
    roster_by_hand(term, [(today + dt.timedelta(days=3), world.tutor, DutyKind.TEACHER),
                          (today + dt.timedelta(days=5), world.duty_teacher, DutyKind.TEACHER),
                          (today + dt.timedelta(days=6), world.homeroom_teacher,
                           DutyKind.TEACHER)])
    mine = DutyAssignment.objects.get(staff=world.tutor)
    tutor = actor_of(world.tutor, world)
    results = at_once(
        lambda: swap_request(actor=tutor, mine=mine, partner=world.duty_teacher,
                             partner_date=today + dt.timedelta(days=5)),
        lambda: swap_request(actor=tutor, mine=mine, partner=world.homeroom_teacher,
                             partner_date=today + dt.timedelta(days=6)))
    assert sorted(r[0] for r in results) == ["error", "ok"]
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, e.SafetyError) and "未办结的调班申请" in error.message
    assert DutySwap.objects.count() == 1


def test_two_offices_approving_one_swap_exchange_the_duties_once(world):
    term = term_around_today(world.term)
    today = timezone.localdate()
    roster_by_hand(term, [(today + dt.timedelta(days=3), world.tutor, DutyKind.TEACHER),
                          (today + dt.timedelta(days=5), world.duty_teacher, DutyKind.TEACHER)])
    mine = DutyAssignment.objects.get(staff=world.tutor)
    swap = swap_request(actor=actor_of(world.tutor, world), mine=mine,
                        partner=world.duty_teacher, partner_date=today + dt.timedelta(days=5))
    swap_transition(swap=swap, to_status="accepted", actor=actor_of(world.duty_teacher, world))
    second = f.StaffFactory(school=world.school, name="钱副主任")
    f.grant(second.user, "coordinator", world.school)
    results = at_once(
        lambda: swap_transition(swap=swap, to_status="approved", actor=office(world),
                                expected_status="accepted"),
        lambda: swap_transition(swap=swap, to_status="approved",
                                actor=actor_for(second.user, world.school),
                                expected_status="accepted"))
    assert sorted(r[0] for r in results) == ["error", "ok"]
    assert DutyAssignment.objects.get(pk=mine.pk).staff == world.duty_teacher
    assert DutySwap.objects.get().changes.filter(to_status="approved").count() == 1


def test_two_generations_at_once_leave_one_consistent_roster(world):
    term = term_around_today(world.term)
    results = at_once(lambda: roster_generate(term=term, actor=office(world)),
                      lambda: roster_generate(term=term, actor=office(world)))
    assert [r[0] for r in results] == ["ok", "ok"]
    roster = DutyRoster.objects.get(term=term)
    days = roster.assignments.filter(kind="teacher").values_list("date", flat=True)
    assert len(days) == len(set(days))  # one duty teacher a day, not two rosters' worth


def test_a_follow_up_closed_twice_at_once_is_closed_once(world):
    term_around_today(world.term)
    from safety.services import patrol_record

    patrol_record(actor=office(world), lesson=lesson_now(world), presence="late")
    follow_up = FollowUp.objects.get()
    results = at_once(
        lambda: follow_up_transition(follow_up=follow_up, to_status="closed",
                                     actor=office(world), comment="甲", expected_status="open"),
        lambda: follow_up_transition(follow_up=follow_up, to_status="closed",
                                     actor=office(world), comment="乙", expected_status="open"))
    assert sorted(r[0] for r in results) == ["error", "ok"]
    assert follow_up.changes.count() == 1
