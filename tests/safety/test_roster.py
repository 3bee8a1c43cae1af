"""The duty roster: service days from the calendar, generation, regeneration, unavailable days,
and the roster as attendance's duty provider."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from afterschool.models import Role
from attendance.duty import duty_staff_on
from attendance.models import CalendarDay
from safety import exceptions as e
from safety.models import (
    DutyAssignment,
    DutyKind,
    DutyRoster,
    DutySwap,
    DutyUnavailability,
    SafetyPolicy,
)
from safety.services import (
    policy_update,
    roster_generate,
    service_days,
    swap_request,
    swap_transition,
    unavailability_set,
)
from tests import factories as f

from .builders import actor_of, office, term_around_today

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 11, 11)


def internal_staff(world):
    return {world.tutor, world.homeroom_teacher, world.other_homeroom_teacher,
            world.duty_teacher} | {s for s in world.school.staff.filter(
                user__in=[world.coordinator, world.principal])}


def test_service_days_follow_the_calendar(world):
    term = world.term
    CalendarDay.objects.create(term=term, date=MONDAY, kind=CalendarDay.Kind.HOLIDAY)
    sunday = MONDAY + dt.timedelta(days=6)
    CalendarDay.objects.create(term=term, date=sunday, kind=CalendarDay.Kind.MAKEUP,
                               runs_as_weekday=1)
    CalendarDay.objects.create(term=term, date=MONDAY + dt.timedelta(days=1),
                               kind=CalendarDay.Kind.SUSPENDED, reason="大雪")
    days = service_days(term, since=MONDAY)
    assert MONDAY not in days and MONDAY + dt.timedelta(days=1) not in days
    assert MONDAY + dt.timedelta(days=2) in days and sunday in days
    assert MONDAY + dt.timedelta(days=4) not in days  # Friday: not a service weekday
    assert days == sorted(days) and days[-1] <= term.end_date


def test_the_term_is_covered_evenly_with_a_leader_each_day(world):
    term = world.term
    roster = roster_generate(term=term, actor=office(world), from_date=term.start_date)
    days = service_days(term)
    duties = list(DutyAssignment.objects.filter(roster=roster))
    teachers = [a for a in duties if a.kind == DutyKind.TEACHER]
    leaders = [a for a in duties if a.kind == DutyKind.LEADER]
    assert sorted({a.date for a in teachers}) == days and len(teachers) == len(days)
    assert len(leaders) == len(days)
    leader_staff = {s.pk for s in world.school.staff.filter(
        user__in=[world.coordinator, world.principal])}
    assert {a.staff_id for a in leaders} == leader_staff
    # External instructors are not duty teachers.
    assert world.external.pk not in {a.staff_id for a in duties}
    # Leaders are loaded with the leader's duty; the teachers' duties go to the others, as
    # evenly as possible: the loads of the four non-leaders differ by at most one.
    load = Counter(a.staff_id for a in duties)
    others = [load[s.pk] for s in internal_staff(world) if s.pk not in leader_staff]
    assert max(others) - min(others) <= 1
    assert roster.optimal and roster.doubles == 0
    assert roster.max_teacher_load == max(Counter(a.staff_id for a in teachers).values())


def test_unavailable_days_and_service_weekdays_are_respected(world):
    term = world.term
    first = service_days(term)[:3]
    for day in first:
        DutyUnavailability.objects.create(term=term, staff=world.tutor, date=day)
    world.duty_teacher.available_weekdays = [2]  # only Tuesdays
    world.duty_teacher.save()
    roster_generate(term=term, actor=office(world), from_date=term.start_date)
    tutor_days = set(DutyAssignment.objects.filter(staff=world.tutor).values_list("date",
                                                                                  flat=True))
    assert not tutor_days & set(first)
    assert {d.isoweekday() for d in DutyAssignment.objects.filter(
        staff=world.duty_teacher).values_list("date", flat=True)} <= {2}


def test_the_duty_role_pool_and_two_teachers_a_day(world):
    term = world.term
    f.grant(world.tutor.user, Role.DUTY_TEACHER, world.school)
    actor = office(world)
    policy_update(actor=actor, school=world.school, duty_teachers_per_day=2, leaders_per_day=0,
                  duty_pool=SafetyPolicy.Pool.DUTY_ROLE, follow_up_days=3)
    roster = roster_generate(term=term, actor=actor, from_date=term.start_date)
    duties = DutyAssignment.objects.filter(roster=roster)
    assert set(duties.values_list("staff_id", flat=True)) == {world.tutor.pk,
                                                              world.duty_teacher.pk}
    assert not duties.filter(kind=DutyKind.LEADER).exists()
    assert duties.count() == 2 * len(service_days(term))


def test_a_day_nobody_can_cover_is_named_and_nothing_is_written(world):
    term = world.term
    actor = office(world)
    policy_update(actor=actor, school=world.school, duty_teachers_per_day=1, leaders_per_day=0,
                  duty_pool=SafetyPolicy.Pool.DUTY_ROLE, follow_up_days=3)
    day = service_days(term)[5]
    DutyUnavailability.objects.create(term=term, staff=world.duty_teacher, date=day)
    with pytest.raises(e.SafetyError) as caught:
        roster_generate(term=term, actor=actor, from_date=term.start_date)
    assert f"{day.month}月{day.day}日" in caught.value.message
    assert "值日教师需 1 人，只有 0 人可以" in caught.value.message
    assert not DutyRoster.objects.exists() and not DutyAssignment.objects.exists()


def test_no_leaders_is_refused_clearly(world):
    world.school.role_assignments.filter(role__in=[Role.PRINCIPAL]).delete()
    principal_staff = world.school.staff.get(user=world.principal)
    principal_staff.delete()
    coordinator_staff = world.school.staff.get(user=world.coordinator)
    coordinator_staff.is_active = False
    coordinator_staff.save()
    with pytest.raises(e.SafetyError) as caught:
        roster_generate(term=world.term, actor=office(world), from_date=world.term.start_date)
    assert caught.value.message == e.ROSTER_NO_LEADERS


def test_only_the_office_generates_and_only_for_its_own_school(world):
    with pytest.raises(PermissionDenied):
        roster_generate(term=world.term, actor=actor_of(world.principal, world))
    with pytest.raises(PermissionDenied):
        roster_generate(term=world.term, actor=actor_of(world.duty_teacher, world))
    foreign_term = f.TermFactory(school=world.other_school)
    with pytest.raises(e.SafetyError, match=e.TERM_OTHER_SCHOOL):
        roster_generate(term=foreign_term, actor=office(world))


def test_regeneration_keeps_the_past_counts_it_and_keeps_approved_swaps(world):
    term = term_around_today(world.term, before=21, after=35)
    actor = office(world)
    roster_generate(term=term, actor=actor, from_date=term.start_date)
    today = timezone.localdate()
    past = list(DutyAssignment.objects.filter(date__lt=today + dt.timedelta(days=1))
                .values_list("date", "staff_id", "kind").order_by("date", "kind"))
    # An approved swap of two future teacher duties.
    future = list(DutyAssignment.objects.filter(date__gt=today + dt.timedelta(days=1),
                                                kind=DutyKind.TEACHER).order_by("date"))
    mine = future[0]
    theirs = next(a for a in future if a.staff_id != mine.staff_id and not DutyAssignment
                  .objects.filter(date=a.date, staff_id=mine.staff_id).exists()
                  and not DutyAssignment.objects.filter(date=mine.date,
                                                        staff_id=a.staff_id).exists())
    requester = actor_of(mine.staff, world)
    swap = swap_request(actor=requester, mine=mine, partner=theirs.staff,
                        partner_date=theirs.date)
    swap_transition(swap=swap, to_status=DutySwap.Status.ACCEPTED,
                    actor=actor_of(theirs.staff, world))
    swap_transition(swap=swap, to_status=DutySwap.Status.APPROVED, actor=actor)
    # A pending one, which the regeneration will cancel.
    rest = [a for a in DutyAssignment.objects.filter(date__gt=today + dt.timedelta(days=1),
                                                     kind=DutyKind.TEACHER, swapped=False)
            .order_by("date")]
    a, b = next((x, y) for x in rest for y in rest if x.staff_id != y.staff_id
                and x.date != y.date
                and not DutyAssignment.objects.filter(date=y.date, staff_id=x.staff_id).exists()
                and not DutyAssignment.objects.filter(date=x.date, staff_id=y.staff_id).exists())
    pending = swap_request(actor=actor_of(a.staff, world), mine=a, partner=b.staff,
                           partner_date=b.date)

    roster = roster_generate(term=term, actor=actor)  # from tomorrow
    assert roster.from_date == today + dt.timedelta(days=1)
    assert list(DutyAssignment.objects.filter(date__lt=today + dt.timedelta(days=1))
                .values_list("date", "staff_id", "kind").order_by("date", "kind")) == past
    kept = DutyAssignment.objects.filter(swapped=True)
    assert set(kept.values_list("date", "staff_id")) == {(mine.date, theirs.staff_id),
                                                         (theirs.date, mine.staff_id)}
    pending.refresh_from_db()
    assert pending.status == DutySwap.Status.CANCELLED
    assert pending.mine is None and pending.theirs is None
    change = pending.changes.get(to_status="cancelled")
    assert change.actor is None and change.actor_role == "system"


def test_the_roster_is_the_duty_provider_and_the_grants_fall_back(world):
    term = term_around_today(world.term)
    today = timezone.localdate()
    assert duty_staff_on(world.school.pk, today) == [world.duty_teacher.user]  # the grant
    roster = DutyRoster.objects.create(term=term, teachers_per_day=1, leaders_per_day=1,
                                       from_date=today)
    DutyAssignment.objects.create(roster=roster, date=today, staff=world.tutor,
                                  kind=DutyKind.TEACHER)
    principal = world.school.staff.get(user=world.principal)
    DutyAssignment.objects.create(roster=roster, date=today, staff=principal,
                                  kind=DutyKind.LEADER)
    assert duty_staff_on(world.school.pk, today) == [world.tutor.user, world.principal]
    # A day without duties on the roster: the grants decide again.
    assert duty_staff_on(world.school.pk, today + dt.timedelta(days=1)) == [
        world.duty_teacher.user]
    assert duty_staff_on(world.other_school.pk, today) == []


# ---------------------------------------------------------------------------- unavailable days


def test_a_teacher_declares_their_own_days(world):
    term = term_around_today(world.term)
    ahead = service_days(term, since=timezone.localdate())[:3]
    tutor = actor_of(world.tutor, world)
    assert unavailability_set(actor=tutor, term=term, staff=world.tutor, dates=ahead,
                              reason="外出培训") == (3, 0)
    assert unavailability_set(actor=tutor, term=term, staff=world.tutor,
                              dates=ahead[:1]) == (0, 2)
    assert list(DutyUnavailability.objects.values_list("date", "reason")) == [
        (ahead[0], "外出培训")]


@pytest.mark.parametrize("case", ["past", "holiday", "outside", "friday"])
def test_bad_days_are_refused_and_nothing_is_written(world, case):
    term = term_around_today(world.term)
    today = timezone.localdate()
    good = service_days(term, since=today)[:2]
    bad = {
        "past": service_days(term)[0],
        "outside": term.end_date + dt.timedelta(days=7),
        "holiday": good[1],
        "friday": next(today + dt.timedelta(days=i) for i in range(1, 8)
                       if (today + dt.timedelta(days=i)).isoweekday() == 5),
    }[case]
    if case == "holiday":
        CalendarDay.objects.create(term=term, date=bad, kind=CalendarDay.Kind.HOLIDAY)
        good = good[:1]
    message = {"past": "已经过去", "outside": "不在本学期", "holiday": "不是服务日",
               "friday": "不是服务日"}[case]
    with pytest.raises(e.SafetyError, match=message):
        unavailability_set(actor=actor_of(world.tutor, world), term=term, staff=world.tutor,
                           dates=[*good, bad])
    assert not DutyUnavailability.objects.exists()


def test_only_the_office_declares_for_someone_else(world):
    term = term_around_today(world.term)
    day = service_days(term, since=timezone.localdate())[0]
    with pytest.raises(PermissionDenied):
        unavailability_set(actor=actor_of(world.tutor, world), term=term,
                           staff=world.duty_teacher, dates=[day])
    unavailability_set(actor=office(world), term=term, staff=world.duty_teacher, dates=[day])
    assert DutyUnavailability.objects.get().created_by == world.coordinator
    foreign = f.StaffFactory(school=world.other_school)
    with pytest.raises(e.SafetyError, match="不是本校教职工"):
        unavailability_set(actor=office(world), term=term, staff=foreign, dates=[day])
