"""The duty roster (值日表): settings, the days people cannot be on duty, and generation.

Generation runs :mod:`safety.solver` synchronously: it proves a 150-staff, 80-day roster
optimal in well under a second (``bench/duty_roster.py``, the README's table), and a hard case
stops at :data:`TIME_LIMIT` seconds, inside the web server's timeout, keeping the best roster
found and saying so. A regeneration decides the days from a date on: the days before it are
history and count in everyone's load, and duties that changed hands by an approved swap are
kept in place; pending swaps of replaced duties are cancelled by the system.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role, RoleAssignment, School, Staff, Term
from afterschool.workflow import SYSTEM
from attendance.display import day_label
from attendance.services.lessons import Calendar

from .. import exceptions as e
from .. import solver
from ..access import OFFICE
from ..display import SWAP_REGENERATED
from ..models import (
    DutyAssignment,
    DutyKind,
    DutyRoster,
    DutySwap,
    DutyUnavailability,
    SafetyPolicy,
)
from ..transitions import SWAP_MACHINE, SWAP_OPEN

# Seconds the solver may spend: a hard case keeps the best roster found by then.
TIME_LIMIT = 20.0
KIND_OF = {DutyKind.TEACHER: solver.TEACHER, DutyKind.LEADER: solver.LEADER}
KIND_LABEL = {solver.TEACHER: DutyKind.TEACHER.label, solver.LEADER: DutyKind.LEADER.label}


def policy_for(school_id: int) -> SafetyPolicy:
    """The school's settings; a school without a row gets the defaults (unsaved)."""
    return (SafetyPolicy.objects.filter(school_id=school_id).first()
            or SafetyPolicy(school_id=school_id))


def _require_office(actor: Actor, what: str) -> None:
    from django.core.exceptions import PermissionDenied

    if actor.school is None or not actor.has(*OFFICE):
        raise PermissionDenied(e.OFFICE_ONLY.format(what=what))


@transaction.atomic
def policy_update(*, actor: Actor, school: School, duty_teachers_per_day: int,
                  leaders_per_day: int, duty_pool: str, follow_up_days: int) -> SafetyPolicy:
    _require_office(actor, "修改值日设置")
    if actor.school.pk != school.pk:
        raise e.SafetyError(e.TERM_OTHER_SCHOOL)
    if not 1 <= duty_teachers_per_day <= 10:
        raise e.SafetyError(e.POLICY_TEACHERS_RANGE.format(value=duty_teachers_per_day),
                            field="duty_teachers_per_day")
    if not 0 <= leaders_per_day <= 3:
        raise e.SafetyError(e.POLICY_LEADERS_RANGE.format(value=leaders_per_day),
                            field="leaders_per_day")
    policy, _ = SafetyPolicy.objects.select_for_update().get_or_create(school=school)
    policy.duty_teachers_per_day = duty_teachers_per_day
    policy.leaders_per_day = leaders_per_day
    policy.duty_pool = duty_pool
    policy.follow_up_days = follow_up_days
    policy.full_clean()
    policy.save()
    return policy


def service_days(term: Term, *, since: dt.date | None = None) -> list[dt.date]:
    """The term's service days from ``since`` on, by attendance's calendar (holidays, 调休
    make-up days and whole-school suspensions applied; a grade's suspension is still a day
    the school runs)."""
    calendar = Calendar(term)
    day = max(term.start_date, since or term.start_date)
    days = []
    while day <= term.end_date:
        if calendar.runs_as(day) is not None:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def leaders_of(school: School | int) -> list[Staff]:
    """The leadership group's staff rows: the principal and the office (领导小组)."""
    users = RoleAssignment.objects.filter(school=school, role__in=[Role.PRINCIPAL,
                                                                   Role.COORDINATOR])
    return list(Staff.objects.filter(school=school, is_active=True,
                                     user__in=users.values("user_id"))
                .select_related("user").order_by("name", "pk"))


def duty_teachers_of(school: School | int, policy: SafetyPolicy) -> list[Staff]:
    """Who takes turns as duty teacher: every active teacher of the school (not the external
    instructors), or only those granted the 值日教师 role, as the school chose."""
    qs = Staff.objects.filter(school=school, is_active=True, is_external=False)
    if policy.duty_pool == SafetyPolicy.Pool.DUTY_ROLE:
        qs = qs.filter(user__in=RoleAssignment.objects.filter(
            school=school, role=Role.DUTY_TEACHER).values("user_id"))
    return list(qs.select_related("user").order_by("name", "pk"))


@dataclass
class Pools:
    teachers: list[Staff]
    leaders: list[Staff]

    @property
    def people(self) -> dict[int, Staff]:
        return {s.pk: s for s in [*self.teachers, *self.leaders]}


def pools_for(school: School | int, policy: SafetyPolicy) -> Pools:
    return Pools(teachers=duty_teachers_of(school, policy), leaders=leaders_of(school))


def _unavailable(term: Term, days: list[dt.date], staff_ids) -> dict[int, set[dt.date]]:
    found: dict[int, set[dt.date]] = {}
    for staff_id, date in DutyUnavailability.objects.filter(
            term=term, staff_id__in=list(staff_ids), date__in=days).values_list("staff_id",
                                                                               "date"):
        found.setdefault(staff_id, set()).add(date)
    return found


def _shortage_message(shortages: list[solver.Shortage]) -> str:
    shown = [e.ROSTER_SHORTAGE_DAY.format(day=day_label(s.day), kind=KIND_LABEL[s.kind],
                                          needed=s.needed, available=s.available)
             for s in shortages[:8]]
    text = "；".join(shown) + (f"；等共 {len(shortages)} 处" if len(shortages) > 8 else "")
    return e.ROSTER_SHORTAGE.format(days=text)


@transaction.atomic
def roster_generate(*, term: Term, actor: Actor, from_date: dt.date | None = None,
                    time_limit: float = TIME_LIMIT) -> DutyRoster:
    """Generate (or regenerate from ``from_date``) the term's roster; nothing is changed when
    some day cannot be covered — the message names the days."""
    _require_office(actor, "生成值日表")
    if term.school_id != actor.school.pk:
        raise e.SafetyError(e.TERM_OTHER_SCHOOL)
    # One generation of a term at a time: the second waits, then sees the first's roster.
    Term.objects.select_for_update().filter(pk=term.pk).first()
    roster = DutyRoster.objects.filter(term=term).first()
    today = timezone.localdate()
    if from_date is None:
        from_date = today + dt.timedelta(days=1) if roster is not None else today
    from_date = max(from_date, term.start_date)  # a term not begun: from its first day
    if from_date > term.end_date:
        raise e.SafetyError(e.ROSTER_FROM_OUTSIDE.format(
            day=day_label(from_date), start=day_label(term.start_date),
            end=day_label(term.end_date)), field="from_date")
    days = service_days(term, since=from_date)
    if not days:
        raise e.SafetyError(e.ROSTER_NO_DAYS.format(term=term.name, start=day_label(from_date)))
    policy = policy_for(term.school_id)
    pools = pools_for(term.school_id, policy)
    if not pools.teachers:
        raise e.SafetyError(e.ROSTER_NO_TEACHERS.format(pool=policy.get_duty_pool_display()))
    if policy.leaders_per_day and not pools.leaders:
        raise e.SafetyError(e.ROSTER_NO_LEADERS)

    people = pools.people
    teacher_ids = {s.pk for s in pools.teachers}
    leader_ids = {s.pk for s in pools.leaders}
    away = _unavailable(term, days, people)
    calendar = Calendar(term)
    runs_as = {day: calendar.runs_as(day) for day in days}
    initial: dict[int, dict[str, int]] = {}
    pinned: list[tuple[dt.date, int, str]] = []
    if roster is not None:
        kept = DutyAssignment.objects.filter(roster=roster, date__lt=from_date)
        for staff_id, kind in kept.values_list("staff_id", "kind"):
            loads = initial.setdefault(staff_id, {})
            loads[KIND_OF[kind]] = loads.get(KIND_OF[kind], 0) + 1
        needs = {solver.TEACHER: policy.duty_teachers_per_day,
                 solver.LEADER: policy.leaders_per_day}
        places: dict[tuple[dt.date, str], int] = {}
        for a in DutyAssignment.objects.filter(roster=roster, date__gte=from_date,
                                               swapped=True).order_by("date", "pk"):
            kind = KIND_OF[a.kind]
            eligible = a.staff_id in (teacher_ids if kind == solver.TEACHER else leader_ids)
            taken = places.get((a.date, kind), 0)
            if eligible and a.date in runs_as and a.date not in away.get(a.staff_id, ()) \
                    and taken < needs[kind]:
                places[a.date, kind] = taken + 1
                pinned.append((a.date, a.staff_id, kind))

    def unavailable(staff: Staff) -> frozenset:
        days_off = set(away.get(staff.pk, ()))
        weekdays = staff.available_weekdays or []
        if weekdays:
            days_off |= {d for d, w in runs_as.items() if w not in weekdays}
        return frozenset(days_off)

    problem = solver.Problem(
        days=days,
        needs={solver.TEACHER: policy.duty_teachers_per_day,
               solver.LEADER: policy.leaders_per_day},
        people=[solver.Person(
            id=pk, kinds=frozenset(k for k, pool in ((solver.TEACHER, teacher_ids),
                                                     (solver.LEADER, leader_ids)) if pk in pool),
            unavailable=unavailable(staff), initial=initial.get(pk, {}))
            for pk, staff in people.items()],
        pinned=pinned)
    try:
        result = solver.solve(problem, time_limit=time_limit)
    except solver.Infeasible as exc:
        if exc.shortages:
            raise e.SafetyError(_shortage_message(exc.shortages)) from exc
        raise e.SafetyError(e.ROSTER_UNSOLVED.format(detail=str(exc))) from exc

    now = timezone.now()
    if roster is None:
        roster = DutyRoster(term=term)
    roster.teachers_per_day = policy.duty_teachers_per_day
    roster.leaders_per_day = policy.leaders_per_day
    roster.generated_at = now
    roster.generated_by = actor.user
    roster.from_date = from_date
    roster.optimal = result.optimal
    roster.method = result.method
    roster.max_teacher_load = result.max_load[solver.TEACHER]
    roster.max_leader_load = result.max_load[solver.LEADER]
    roster.doubles = result.doubles
    roster.sum_of_squares = result.sum_of_squares
    roster.back_to_back = result.back_to_back
    roster.seconds = round(result.seconds, 3)
    roster.full_clean()
    roster.save()

    replaced = DutyAssignment.objects.filter(roster=roster, date__gte=from_date)
    _cancel_swaps_of(replaced)
    replaced.delete()
    kinds = {v: k for k, v in KIND_OF.items()}
    pins = set(pinned)
    DutyAssignment.objects.bulk_create(
        [DutyAssignment(roster=roster, date=day, staff_id=pk, kind=kinds[kind],
                        swapped=(day, pk, kind) in pins)
         for (day, kind), ids in sorted(result.duties.items()) for pk in ids],
        batch_size=1000)
    return roster


def _cancel_swaps_of(assignments) -> None:
    """Open swaps of duties about to be replaced: cancelled by the system, with the reason."""
    swaps = (DutySwap.objects.select_for_update()
             .filter(status__in=SWAP_OPEN)
             .filter(Q(mine__in=assignments) | Q(theirs__in=assignments)))
    for swap in swaps:
        SWAP_MACHINE.apply(swap, DutySwap.Status.CANCELLED, actor=None, role=SYSTEM,
                           comment=SWAP_REGENERATED, values={"decided_at": timezone.now()})


# ---------------------------------------------------------------------------- unavailable days


@transaction.atomic
def unavailability_set(*, actor: Actor, term: Term, staff: Staff, dates: Iterable[dt.date],
                       reason: str = "") -> tuple[int, int]:
    """The days from today on that ``staff`` cannot be on duty become exactly ``dates``
    (the days before today are history and stay). Returns (added, removed)."""
    from django.core.exceptions import PermissionDenied

    if actor.school is None or staff.school_id != actor.school.pk:
        raise e.SafetyError(e.STAFF_OTHER_SCHOOL.format(name=staff.name))
    if term.school_id != actor.school.pk:
        raise e.SafetyError(e.TERM_OTHER_SCHOOL)
    own = actor.staff is not None and actor.staff.pk == staff.pk
    if not own and not actor.has(*OFFICE):
        raise PermissionDenied(e.UNAVAILABLE_OTHER_PERSON)
    reason = (reason or "").strip()
    if len(reason) > 100:
        raise e.SafetyError(e.UNAVAILABLE_REASON_TOO_LONG.format(length=len(reason)),
                            field="reason")
    today = timezone.localdate()
    wanted = set(dates)
    runs = Calendar(term)
    for day in sorted(wanted):
        if not term.start_date <= day <= term.end_date:
            raise e.SafetyError(e.UNAVAILABLE_OUTSIDE_TERM.format(
                day=day_label(day), start=day_label(term.start_date),
                end=day_label(term.end_date)), field="dates")
        if day < today:
            raise e.SafetyError(e.UNAVAILABLE_PAST.format(day=day_label(day)), field="dates")
        if runs.runs_as(day) is None:
            raise e.SafetyError(e.UNAVAILABLE_NOT_SERVICE_DAY.format(day=day_label(day)),
                                field="dates")
    Staff.objects.select_for_update().filter(pk=staff.pk).first()
    current = set(DutyUnavailability.objects.filter(term=term, staff=staff, date__gte=today)
                  .values_list("date", flat=True))
    removed = current - wanted
    DutyUnavailability.objects.filter(term=term, staff=staff, date__in=removed).delete()
    added = sorted(wanted - current)
    rows = [DutyUnavailability(term=term, staff=staff, date=day, reason=reason,
                               created_by=actor.user) for day in added]
    for row in rows:
        row.full_clean(validate_unique=False)
    DutyUnavailability.objects.bulk_create(rows)
    if reason:
        DutyUnavailability.objects.filter(term=term, staff=staff,
                                          date__in=wanted).update(reason=reason)
    return len(added), len(removed)
