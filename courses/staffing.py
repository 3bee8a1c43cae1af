"""Tutor assignment (辅导教师分配): which tutors take which sections or homework groups.

Plain data in, plain data out, no models or database: the catalog feeds it sections, the
arrangement feeds it homework groups, and tests feed it small hand-made cases. From the core it
imports only ``afterschool.norms`` and ``afterschool.formatting``, which touch no models.

A *unit* (a section or a homework group) meets at some slots ``(ISO weekday, period number)``
and needs ``needed`` tutors (one per 25 students). A tutor can take a unit when every slot's
weekday is one of theirs, their subjects include the unit's required subject, their kind
(internal or external) is the one asked for, none of the slots is already taken for them and
the unit's lessons (one per slot) fit under their weekly maximum. Tutors already on a unit stay.

Among the assignments that never put a tutor in two places at once, the best one, in order:

1. staffs the most tutor positions;
2. then has the smallest maximum weekly load;
3. then the smallest spread (largest minus smallest load among the tutors who could be given
   anything at all — a tutor nobody can use does not count as idle).

Each rule is exact in its turn (a lighter load never costs an unstaffed section): a mixed-integer
model solved with OR-Tools (CBC, bounded by the LP relaxation, see :func:`_solve`). Whatever
stays unstaffed is reported with a reason a coordinator can act on, e.g.
``无可用的篮球教师（周二第2节）：任教篮球的教师周二均不能服务``.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from afterschool import formatting
from afterschool.norms import STUDENTS_PER_TUTOR

ANY = "any"
INTERNAL = "internal"
EXTERNAL = "external"
KINDS = (ANY, INTERNAL, EXTERNAL)
_KIND_WORDS = {ANY: "教师", INTERNAL: "校内教师", EXTERNAL: "校外教师"}

Slot = tuple[int, int]


def tutors_needed(students: int) -> int:
    """How many tutors a group of this size needs: one per 25 students, at least one."""
    return max(1, math.ceil(students / STUDENTS_PER_TUTOR))


def slot_label(slot: Slot) -> str:
    weekday, period = slot
    return formatting.slot_label(weekday, period)


def normalise_subject(subject: str | None) -> str:
    return (subject or "").strip().casefold()


@dataclass(frozen=True)
class Unit:
    """Something that needs tutors: a section or a homework group."""

    id: Hashable
    slots: tuple[Slot, ...]
    subject: str | None = None
    kind: str = ANY
    needed: int = 1
    # Tutors already on the unit: kept as they are, and counted in their load.
    assigned: tuple[Hashable, ...] = ()
    label: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unit {self.id!r}: unknown kind {self.kind!r}")
        if self.needed < 0:
            raise ValueError(f"unit {self.id!r}: needed must not be negative")
        for weekday, period in self.slots:
            if not 1 <= weekday <= 7 or period < 1:
                raise ValueError(f"unit {self.id!r}: malformed slot {(weekday, period)!r}")

    @property
    def slot_set(self) -> frozenset[Slot]:
        return frozenset(self.slots)

    @property
    def load(self) -> int:
        """Lessons a week: one per slot."""
        return len(self.slot_set)


@dataclass(frozen=True)
class Tutor:
    id: Hashable
    weekdays: frozenset[int]
    subjects: frozenset[str] = frozenset()
    is_external: bool = False
    max_load: int = 8
    # Slots and lessons taken outside the units given (e.g. homework groups assigned elsewhere).
    busy: frozenset[Slot] = frozenset()
    base_load: int = 0
    name: str = ""

    @property
    def subject_keys(self) -> frozenset[str]:
        return frozenset(normalise_subject(s) for s in self.subjects)


@dataclass(frozen=True)
class Unstaffed:
    unit_id: Hashable
    missing: int
    reason: str


@dataclass
class StaffingResult:
    # Every unit's tutors: those it already had, then those added.
    assignments: dict[Hashable, tuple[Hashable, ...]]
    # Only the tutors this run adds (a proposal to review before applying).
    added: dict[Hashable, tuple[Hashable, ...]]
    loads: dict[Hashable, int]
    unstaffed: list[Unstaffed]
    # "optimal" when every stage was proved optimal, "feasible" when the time limit cut one short.
    status: str
    seconds: float
    pool: frozenset = field(default_factory=frozenset)

    @property
    def max_load(self) -> int:
        return max(self.loads.values(), default=0)

    @property
    def spread(self) -> int:
        loads = [self.loads[t] for t in self.pool] or [0]
        return max(loads) - min(loads)


def _kind_fits(unit: Unit, tutor: Tutor) -> bool:
    if unit.kind == EXTERNAL:
        return tutor.is_external
    if unit.kind == INTERNAL:
        return not tutor.is_external
    return True


def _subject_fits(unit: Unit, tutor: Tutor) -> bool:
    wanted = normalise_subject(unit.subject)
    return not wanted or wanted in tutor.subject_keys


def _days_fit(unit: Unit, tutor: Tutor) -> bool:
    return all(weekday in tutor.weekdays for weekday, _ in unit.slot_set)


def assign_tutors(units: Iterable[Unit], tutors: Iterable[Tutor], *, seed: int = 0,
                  time_limit: float = 10) -> StaffingResult:
    """Add tutors to the units that lack them; see the module docstring for what is best.

    The search is deterministic: the same input and seed give the same answer, and another
    seed may pick another among equally good ones. ``time_limit`` (seconds) bounds the whole
    search; cut short, the best assignment found so far comes back with status "feasible".
    The MIP solver counts processor time, so on a busy machine the wall time can be longer.
    """
    started = time.perf_counter()
    units = list(units)
    tutors = list(tutors)
    _check_unique("unit", [u.id for u in units])
    _check_unique("tutor", [t.id for t in tutors])
    known = {t.id for t in tutors}

    occupied: dict[Hashable, set[Slot]] = {t.id: set(t.busy) for t in tutors}
    fixed_load: dict[Hashable, int] = {t.id: t.base_load for t in tutors}
    for unit in units:
        for tid in dict.fromkeys(unit.assigned):
            if tid in known:
                occupied[tid].update(unit.slot_set)
                fixed_load[tid] += unit.load
    missing = {u.id: max(0, u.needed - len(set(u.assigned))) for u in units}

    pairs = [
        (ui, ti)
        for ui, unit in enumerate(units) if missing[unit.id]
        for ti, tutor in enumerate(tutors)
        if tutor.id not in unit.assigned
        and _kind_fits(unit, tutor) and _subject_fits(unit, tutor) and _days_fit(unit, tutor)
        and not occupied[tutor.id] & unit.slot_set
        and fixed_load[tutor.id] + unit.load <= tutor.max_load
    ]
    chosen, status = _solve(units, tutors, pairs, missing, fixed_load, seed=seed,
                            deadline=started + time_limit)

    added: dict[Hashable, list[Hashable]] = defaultdict(list)
    loads = dict(fixed_load)
    for ui, ti in sorted(chosen):
        added[units[ui].id].append(tutors[ti].id)
        loads[tutors[ti].id] += units[ui].load
    assignments = {u.id: tuple(dict.fromkeys(u.assigned)) + tuple(added.get(u.id, ()))
                   for u in units}
    unstaffed = []
    for unit in units:
        short = missing[unit.id] - len(added.get(unit.id, ()))
        if short > 0:
            unstaffed.append(Unstaffed(unit.id, short,
                                       _reason(unit, tutors, occupied, fixed_load)))
    return StaffingResult(
        assignments=assignments, added={k: tuple(v) for k, v in added.items()},
        loads=loads, unstaffed=unstaffed, status=status,
        seconds=time.perf_counter() - started,
        pool=frozenset(tutors[ti].id for _, ti in pairs),
    )


def _check_unique(what: str, ids: list) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


class _Model:
    """The assignment as a linear model: maximise staffed positions, within load bounds.

    Rows: a unit takes at most the tutors it lacks; a tutor is at most once in a slot; each
    tutor's load stays under their maximum and within [lowest, highest]. Built with the solver's
    low-level API: the expression API is several times slower on thousands of variables.
    """

    def __init__(self, backend, units, tutors, pairs, missing, fixed_load, *, integer):
        self.solver = solver = pywraplp.Solver.CreateSolver(backend)
        inf = solver.infinity()
        self.x = {p: solver.Var(0, 1, integer, f"x{p[0]}_{p[1]}") for p in pairs}
        by_unit, by_tutor, by_tutor_slot = defaultdict(list), defaultdict(list), defaultdict(list)
        for (ui, ti), var in self.x.items():
            by_unit[ui].append(var)
            by_tutor[ti].append((units[ui].load, var))
            for slot in units[ui].slot_set:
                by_tutor_slot[ti, slot].append(var)
        for ui, vars_ in by_unit.items():
            if len(vars_) > missing[units[ui].id]:
                self._row(-inf, missing[units[ui].id], [(1, v) for v in vars_])
        for vars_ in by_tutor_slot.values():
            if len(vars_) > 1:
                self._row(-inf, 1, [(1, v) for v in vars_])
        top = max([t.max_load for t in tutors] + list(fixed_load.values()))
        self.highest = solver.NumVar(max(fixed_load.values(), default=0), top, "highest")
        self.lowest = solver.NumVar(0, top, "lowest")
        for ti, terms in by_tutor.items():
            fixed = fixed_load[tutors[ti].id]
            self._row(-inf, tutors[ti].max_load - fixed, terms)
            self._row(-inf, -fixed, [*terms, (-1, self.highest)])
            self._row(-fixed, inf, [*terms, (-1, self.lowest)])
        self.at_least = self._row(0, inf, [(1, v) for v in self.x.values()])
        self._top = top
        self.proved = False
        self.infeasible = False

    def relax(self):
        """Drop the bounds set on staffed positions and loads."""
        self.at_least.SetLb(0)
        self.highest.SetUb(self._top)
        self.lowest.SetLb(0)

    def _row(self, lb, ub, terms):
        row = self.solver.Constraint(lb, ub)
        for coefficient, var in terms:
            row.SetCoefficient(var, coefficient)
        return row

    def solve(self, target, *, maximise: bool, deadline: float) -> float | None:
        """Optimise one variable (or, with None, the staffed positions); None if no solution."""
        self.proved = self.infeasible = False
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        self.solver.SetTimeLimit(max(int(remaining * 1000), 1))
        objective = self.solver.Objective()
        objective.Clear()
        for var in [target] if target is not None else self.x.values():
            objective.SetCoefficient(var, 1)
        objective.SetOptimizationDirection(maximise)
        code = self.solver.Solve()
        self.infeasible = code == pywraplp.Solver.INFEASIBLE
        if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        self.proved = code == pywraplp.Solver.OPTIMAL
        return objective.Value()

    def chosen(self) -> list[tuple[int, int]]:
        return [p for p, var in self.x.items() if var.solution_value() > 0.5]


def _solve(units, tutors, pairs, missing, fixed_load, *, seed, deadline):
    """The three stages; returns the chosen (unit index, tutor index) pairs and a status.

    The LP relaxation gives each stage a bound, and it is (nearly) integral here — without
    units of several slots the model is a flow problem — so usually one MIP that meets all
    three bounds at once settles everything; when it cannot, the stages run one by one.
    CP-SAT, tried first, needed more than 10 s to reach the least maximum load on
    200 units × 70 tutors, where this takes one to three seconds.
    """
    if not pairs:
        return [], "optimal"
    # Ties are broken by the order the solver meets the variables in: the seed shuffles it.
    pairs = list(pairs)
    random.Random(seed).shuffle(pairs)
    started = time.perf_counter()
    mip = _Model("CBC", units, tutors, pairs, missing, fixed_load, integer=True)
    lp = _Model("GLOP", units, tutors, pairs, missing, fixed_load, integer=False)
    chosen = _solve_at_bounds(mip, lp, deadline=started + (deadline - started) / 2)
    if chosen is not None:
        return chosen, "optimal"
    mip.relax()
    lp.relax()
    return _solve_stage_by_stage(units, tutors, pairs, fixed_load, mip, lp, deadline=deadline)


def _solve_at_bounds(mip, lp, *, deadline):
    """One MIP that meets the three LP bounds at once is optimal on all three; or None."""
    staffed = lp.solve(None, maximise=True, deadline=deadline)
    if staffed is None:
        return None
    lp.at_least.SetLb(math.floor(staffed + 1e-6))
    highest = lp.solve(lp.highest, maximise=False, deadline=deadline)
    if highest is None:
        return None
    lp.highest.SetUb(math.ceil(highest - 1e-6))
    lowest = lp.solve(lp.lowest, maximise=True, deadline=deadline)
    if lowest is None:
        return None
    mip.at_least.SetLb(math.floor(staffed + 1e-6))
    mip.highest.SetUb(math.ceil(highest - 1e-6))
    mip.lowest.SetLb(math.floor(lowest + 1e-6))
    if mip.solve(None, maximise=True, deadline=deadline) is None:
        return None
    return mip.chosen()


def _solve_stage_by_stage(units, tutors, pairs, fixed_load, mip, lp, *, deadline):
    staffed = mip.solve(None, maximise=True, deadline=deadline)
    if staffed is None:
        return [], "feasible"
    best, proved = mip.chosen(), mip.proved
    mip.at_least.SetLb(round(staffed))
    lp.at_least.SetLb(round(staffed))
    pool = {ti for _, ti in pairs}

    def loads(among):
        result = {ti: fixed_load[tutors[ti].id] for ti in among}
        for ui, ti in best:
            result[ti] += units[ui].load
        return result

    def tighten(set_bound, candidates) -> bool:
        """Try each bound, best first; keep the first solution that meets one. Proved?"""
        nonlocal best
        for value in candidates:
            set_bound(value)
            if mip.solve(None, maximise=True, deadline=deadline) is not None:
                best = mip.chosen()
                return True
            if not mip.infeasible:  # out of time: the bound is neither met nor refuted
                return False
        return True

    # Stage 2: the least maximum load that keeps every staffed position.
    now = max(loads(range(len(tutors))).values())
    bound = lp.solve(lp.highest, maximise=False, deadline=deadline)
    start = math.ceil(bound - 1e-6) if bound is not None else now
    proved &= bound is not None and tighten(mip.highest.SetUb, range(start, now))
    highest = max(loads(range(len(tutors))).values())
    mip.highest.SetUb(highest)
    lp.highest.SetUb(highest)
    # Stage 3: under that maximum, the greatest minimum load, hence the least spread.
    now = min(loads(pool).values())
    bound = lp.solve(lp.lowest, maximise=True, deadline=deadline)
    start = math.floor(bound + 1e-6) if bound is not None else now
    proved &= bound is not None and tighten(mip.lowest.SetLb, range(start, now, -1))
    return best, "optimal" if proved else "feasible"


def _reason(unit: Unit, tutors: list[Tutor], occupied, fixed_load) -> str:
    """Why a unit stays (partly) unstaffed, from the first filter that leaves nobody."""
    kind = _KIND_WORDS[unit.kind]
    subject = (unit.subject or "").strip()
    who = f"{subject}{kind}"
    slots = "、".join(slot_label(s) for s in sorted(unit.slot_set)) or "未设上课时间"
    head = f"无可用的{who}（{slots}）"
    teachers = f"任教{subject}的{kind}" if subject else f"符合要求的{kind}"
    matching = [t for t in tutors if _kind_fits(unit, t) and _subject_fits(unit, t)]
    candidates = [t for t in matching if t.id not in unit.assigned]
    if not candidates:
        if matching:
            return f"{head}：除已在本教学班的教师外，学校没有其他{teachers}"
        return f"{head}：学校没有{teachers}"
    candidates = [t for t in candidates if _days_fit(unit, t)]
    if not candidates:
        days = formatting.weekdays_text(d for d, _ in unit.slot_set)
        return f"{head}：{teachers}{days}均不能服务"
    candidates = [t for t in candidates if not occupied[t.id] & unit.slot_set]
    if not candidates:
        return f"{head}：{teachers}在该时段已有其他安排"
    candidates = [t for t in candidates if fixed_load[t.id] + unit.load <= t.max_load]
    if not candidates:
        return f"{head}：{teachers}已达每周最多课次"
    return f"{head}：{teachers}已分配到同一时段的其他教学班，或课次已满"
