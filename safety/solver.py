"""The duty roster solver (值日排班): who is on duty on each service day, spread evenly.

Pure Python with OR-Tools CP-SAT, no Django import, so it is tested on its own and against a
brute force over every assignment of small cases (``tests/safety/test_solver.py``).

The problem. Each day needs a number of people of each duty kind (e.g. two duty teachers and
one leader on duty). A person may take some kinds (a leader may also take a teacher's duty, a
teacher never a leader's), never on a day they declared unavailable, and at most once per kind
per day. Some duties may be fixed in advance (``pinned``: the days already served when a roster
is regenerated from a later date, or a duty someone asked for), and people may come with duties
already served before the problem's days (``Person.initial``), which count in their load.

The objective, lexicographic, each stage solved to optimality with the earlier ones fixed:

1. ``doubles``: the number of extra duties a person takes on a day they already have one (a
   leader who is also a duty teacher that day) — zero whenever the pools allow it, which is
   "never two duties on the same day unless needed";
2. for each kind in :data:`KINDS` order, the largest load of that kind (initial + assigned);
3. the sum over people of the square of their total load: the loads are as even as the
   availability allows (a convex cost, encoded linearly by unit steps, which keeps the model's
   LP relaxation tight).

How. Without stage 1's rule the problem is a min-cost flow (places of each day flow to the
people who may take them; a person's unit steps of load cost 2·load − 1), solved exactly by
OR-Tools' min-cost flow at the smallest maxima that could possibly hold the duties (poured like
water into the people's free days). When that roster has no doubles it meets every stage's
lower bound and is proven optimal as it is — the usual case, a fraction of a second for 150
staff and 80 days. Otherwise CP-SAT solves the stages in turn, starting from that roster as a
hint and with the flow's cost as a bound of the last stage (``bench/duty_roster.py``).

This is not a round-robin: a round-robin ignores who is unavailable when and ends up uneven.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

TEACHER = "teacher"
LEADER = "leader"
KINDS = (TEACHER, LEADER)
LINEARIZATION = 1

Day = Hashable  # a date in the app; anything hashable and sortable here


@dataclass(frozen=True)
class Person:
    id: int
    kinds: frozenset[str]
    unavailable: frozenset = frozenset()
    # Duties of each kind served before the problem's days (they count in the load).
    initial: Mapping[str, int] = field(default_factory=dict)

    def may(self, day: Day, kind: str) -> bool:
        return kind in self.kinds and day not in self.unavailable


@dataclass(frozen=True)
class Problem:
    days: Sequence[Day]
    # kind → how many people of that kind each day needs.
    needs: Mapping[str, int]
    people: Sequence[Person]
    # (day, person id, kind): duties fixed in advance; they fill places of their day.
    pinned: Sequence[tuple[Day, int, str]] = ()


@dataclass(frozen=True)
class Shortage:
    """A day on which fewer people may take a kind of duty than it needs."""

    day: Day
    kind: str
    needed: int
    available: int


class Infeasible(Exception):  # noqa: N818 (the name reads as what happened)
    """No roster meets the needs: some days lack people (``shortages``) or a pin is invalid."""

    def __init__(self, shortages: Sequence[Shortage] = (), message: str = ""):
        self.shortages = list(shortages)
        super().__init__(message or "; ".join(
            f"{s.day} {s.kind}: {s.available} < {s.needed}" for s in self.shortages))


@dataclass
class Roster:
    """A solution: who is on duty on each day, and how good it is."""

    duties: dict[tuple[Day, str], list[int]]   # (day, kind) → person ids, sorted
    doubles: int
    max_load: dict[str, int]                    # kind → largest load of that kind
    sum_of_squares: int
    optimal: bool                               # every stage proven optimal
    seconds: float
    loads: dict[int, dict[str, int]] = field(default_factory=dict)   # person → kind → load
    # "flow" when the min-cost flow's roster met every stage's bound, "cp-sat" otherwise.
    method: str = "flow"
    # Duties on two service days in a row for one person (fewest found, objective unchanged).
    back_to_back: int = 0

    def key(self) -> tuple:
        """The lexicographic objective, smaller is better (what the tests compare)."""
        return objective_key(self.doubles, self.max_load, self.sum_of_squares)


def objective_key(doubles: int, max_load: Mapping[str, int], sum_of_squares: int) -> tuple:
    return (doubles, *(max_load.get(k, 0) for k in KINDS), sum_of_squares)


def evaluate(problem: Problem, duties: Mapping[tuple[Day, str], Iterable[int]]) -> tuple:
    """The objective key of any complete assignment (used by the brute force and the tests)."""
    loads = {p.id: {k: p.initial.get(k, 0) for k in KINDS} for p in problem.people}
    per_day: dict[tuple[Day, int], int] = {}
    for (day, kind), ids in duties.items():
        for pid in ids:
            loads[pid][kind] += 1
            per_day[day, pid] = per_day.get((day, pid), 0) + 1
    doubles = sum(n - 1 for n in per_day.values() if n > 1)
    max_load = {k: max((loads[p][k] for p in loads), default=0) for k in KINDS}
    squares = sum(sum(v.values()) ** 2 for v in loads.values())
    return objective_key(doubles, max_load, squares)


def shortages(problem: Problem) -> list[Shortage]:
    """Every (day, kind) with fewer possible people than it needs, in day order."""
    found = []
    for day in problem.days:
        for kind in KINDS:
            need = problem.needs.get(kind, 0)
            if need <= 0:
                continue
            available = sum(1 for p in problem.people if p.may(day, kind))
            if available < need:
                found.append(Shortage(day, kind, need, available))
    return found


def _max_load_bound(problem: Problem, kind: str, pinned: set) -> int:
    """A lower bound of the largest load of ``kind``: the duties poured into the people like
    water, each up to the days they may take (the per-day limits relaxed). Given to the model
    so it stops as soon as a roster reaches it, instead of proving it by search."""
    total = len(problem.days) * problem.needs.get(kind, 0)
    base = {p.id: p.initial.get(kind, 0) for p in problem.people}
    caps = {p.id: sum(1 for d in problem.days
                      if p.may(d, kind) or (d, p.id, kind) in pinned) for p in problem.people}
    level = max(base.values(), default=0)
    while sum(min(caps[i], max(0, level - base[i])) for i in caps) < total:
        level += 1
        if level > total + max(base.values(), default=0):
            break  # the caps cannot hold the duties: shortages() reports the days
    return level


def _flow(problem: Problem, pinned: set, caps: Mapping[str, int]) -> tuple[dict, int, bool]:
    """The roster without the doubles rule, as a min-cost flow: (free duties, sum of squares,
    whether every place is filled).

    Places of each (day, kind) flow to the people who may take them (one each), through a
    node per (person, kind) holding at most ``caps[kind]`` of their load of that kind, to the
    person, whose unit steps cost 2·load − 1 (so the cost is the sum of squares). With the
    doubles rule relaxed this is exact, so it is a lower bound of the last stage and, when it
    happens to have no doubles (the usual case), the optimum itself: CP-SAT gets it as a hint
    and as a bound, and has only to confirm it.
    """
    flow = min_cost_flow.SimpleMinCostFlow()
    days = list(problem.days)
    base = {p.id: {k: p.initial.get(k, 0) for k in KINDS} for p in problem.people}
    need = {}
    for day, pid, kind in pinned:
        base[pid][kind] += 1
        need[day, kind] = need.get((day, kind), 0) - 1
    kinds = [k for k in KINDS if problem.needs.get(k, 0) > 0]
    source, sink = 0, 1
    node = {}

    def at(key) -> int:
        if key not in node:
            node[key] = len(node) + 2
        return node[key]

    total = 0
    arcs = []   # (arc index, day index, person, kind)
    for i, day in enumerate(days):
        for kind in kinds:
            places = problem.needs[kind] + need.get((day, kind), 0)
            if places <= 0:
                continue
            total += places
            flow.add_arc_with_capacity_and_unit_cost(source, at(("d", i, kind)), places, 0)
            for p in problem.people:
                if p.may(day, kind) and (day, p.id, kind) not in pinned:
                    arc = flow.add_arc_with_capacity_and_unit_cost(
                        at(("d", i, kind)), at(("pk", p.id, kind)), 1, 0)
                    arcs.append((arc, i, p.id, kind))
    for p in problem.people:
        start = sum(base[p.id].values())
        room = 0
        for kind in kinds:
            cap = max(0, caps.get(kind, 0) - base[p.id][kind])
            if ("pk", p.id, kind) in node and cap:
                flow.add_arc_with_capacity_and_unit_cost(at(("pk", p.id, kind)),
                                                         at(("p", p.id)), cap, 0)
                room += cap
        for j in range(1, room + 1):
            flow.add_arc_with_capacity_and_unit_cost(at(("p", p.id)), sink, 1,
                                                     2 * (start + j) - 1)
    if not total:
        return {}, sum(sum(b.values()) ** 2 for b in base.values()), True
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    for key in node.values():
        flow.set_node_supply(key, 0)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        return {}, 0, False
    chosen = {(i, pid, kind): 1 for arc, i, pid, kind in arcs if flow.flow(arc)}
    squares = flow.optimal_cost() + sum(sum(b.values()) ** 2 for b in base.values())
    return chosen, squares, flow.maximum_flow() == total


def solve(problem: Problem, *, time_limit: float | None = 60.0, workers: int = 1,
          progress: Callable[[int, int], None] | None = None) -> Roster:
    """The lexicographically best roster (see the module's docstring).

    ``time_limit`` bounds the whole solve; a stage stopped by it keeps the best roster found
    and ``optimal`` is False. ``progress(done, stages)`` is called after each stage. Raises
    :class:`Infeasible` when some day cannot be covered.
    """
    started = time.perf_counter()
    short = shortages(problem)
    if short:
        raise Infeasible(short)
    people = {p.id: p for p in problem.people}
    days = list(problem.days)
    day_set = set(days)
    pinned = set()
    for day, pid, kind in problem.pinned:
        person = people.get(pid)
        if day not in day_set or person is None or kind not in KINDS:
            raise Infeasible(message=f"pinned duty {(day, pid, kind)} is not in the problem")
        pinned.add((day, pid, kind))
    for day in days:
        for kind in KINDS:
            n = sum(1 for d, _, k in pinned if d == day and k == kind)
            if n > problem.needs.get(kind, 0):
                raise Infeasible(message=f"{day} {kind}: {n} pinned duties, "
                                 f"{problem.needs.get(kind, 0)} needed")
    kinds = [k for k in KINDS if problem.needs.get(k, 0) > 0]

    model = cp_model.CpModel()
    x: dict[tuple[int, int, str], cp_model.IntVar] = {}   # (day index, person, kind)
    for i, day in enumerate(days):
        for kind in kinds:
            here = []
            for p in problem.people:
                if (day, p.id, kind) in pinned:
                    var = model.new_constant(1)
                elif p.may(day, kind):
                    var = model.new_bool_var(f"x{i}_{p.id}_{kind}")
                else:
                    continue
                x[i, p.id, kind] = var
                here.append(var)
            model.add(sum(here) == problem.needs[kind])
    variables = list(x.values())   # every variable, so that each stage is fully hinted
    constants = {var.index for key, var in x.items() if (days[key[0]], key[1], key[2]) in pinned}

    # 1. Doubles: a person's duties beyond the first on one day.
    doubles = {}
    for i in range(len(days)):
        for p in problem.people:
            mine = [x[i, p.id, k] for k in kinds if (i, p.id, k) in x]
            if len(mine) > 1:
                extra = model.new_int_var(0, len(mine) - 1, f"d{i}_{p.id}")
                model.add(extra >= sum(mine) - 1)
                doubles[i, p.id] = extra
    variables += list(doubles.values())

    # 2. Loads per kind and their maxima, at least the water-filling bounds.
    assigned: dict[tuple[int, str], list] = {}
    for (_, pid, kind), var in x.items():
        assigned.setdefault((pid, kind), []).append(var)
    bounds = {kind: _max_load_bound(problem, kind, pinned) for kind in kinds}
    max_vars = {}
    for kind in kinds:
        top = max((p.initial.get(kind, 0) + len(assigned.get((p.id, kind), ())))
                  for p in problem.people)
        m = model.new_int_var(min(bounds[kind], top), top, f"max_{kind}")
        for p in problem.people:
            model.add(m >= p.initial.get(kind, 0) + sum(assigned.get((p.id, kind), [])))
        max_vars[kind] = m
    variables += list(max_vars.values())

    deadline = None if time_limit is None else time.perf_counter() + time_limit
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = workers
    params.random_seed = 0
    params.linearization_level = LINEARIZATION
    optimal = True
    values: dict[int, int] = {}   # variable index → value in the roster to hint
    stages = (1 if doubles else 0) + len(max_vars) + 1
    done = 0

    def hint(duties: Mapping[tuple[int, int, str], int]) -> None:
        """Hint a roster given as its free duties (pins are always on)."""
        for key, var in x.items():
            values[var.index] = 1 if key in duties or (days[key[0]], key[1], key[2]) \
                in pinned else 0
        for (i, pid), var in doubles.items():
            n = sum(values[x[i, pid, k].index] for k in kinds if (i, pid, k) in x)
            values[var.index] = max(0, n - 1)
        for kind, m in max_vars.items():
            values[m.index] = max(p.initial.get(kind, 0) + sum(
                values[v.index] for v in assigned.get((p.id, kind), []))
                for p in problem.people)

    def run(objective) -> int:
        nonlocal optimal, done
        if deadline is not None:
            params.max_time_in_seconds = max(0.5, deadline - time.perf_counter())
        model.clear_hints()
        hinted = set()
        for var in variables:
            # Pins share one cached constant: hint each variable once (twice is invalid).
            if var.index in values and var.index not in hinted and var.index not in constants:
                hinted.add(var.index)
                model.add_hint(var, values[var.index])
        model.minimize(objective)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise Infeasible(message=f"CP-SAT: {solver.status_name(status)}")
        optimal = optimal and status == cp_model.OPTIMAL
        values.update((var.index, solver.value(var)) for var in variables)
        done += 1
        if progress is not None:
            progress(done, stages)
        return int(round(solver.objective_value))

    # The flow at the water-filling bounds of the maxima: when its roster has no doubles it
    # meets every stage's lower bound (0 doubles, the bounds of the maxima, the relaxation's
    # sum of squares), so it is proven optimal as it is. Otherwise CP-SAT takes over, from it.
    first, squares, complete = _flow(problem, pinned, bounds)
    method = "flow"
    if complete:
        hint(first)
    if not complete or any(values[d.index] for d in doubles.values()):
        method = "cp-sat"
        if doubles:
            best = run(sum(doubles.values()))
            model.add(sum(doubles.values()) <= best)
        for m in max_vars.values():
            best = run(m)
            model.add(m <= best)
        best_max = {kind: values[m.index] for kind, m in max_vars.items()}
        _squares_stage(problem, model, kinds, assigned, best_max, values, variables, run,
                       lambda: _flow(problem, pinned, best_max), hint, doubles)
    elif progress is not None:
        progress(stages, stages)

    duties: dict[tuple[Day, str], list[int]] = {}
    loads = {p.id: {k: p.initial.get(k, 0) for k in KINDS} for p in problem.people}
    for (i, pid, kind), var in x.items():
        if values.get(var.index):
            duties.setdefault((days[i], kind), []).append(pid)
            loads[pid][kind] += 1
    back_to_back = space_out(problem, duties, pinned)
    for ids in duties.values():
        ids.sort()
    key = evaluate(problem, duties)
    return Roster(duties=duties, doubles=key[0],
                  max_load={k: key[1 + n] for n, k in enumerate(KINDS)},
                  sum_of_squares=key[-1], optimal=optimal,
                  seconds=time.perf_counter() - started, loads=loads, method=method,
                  back_to_back=back_to_back)


def back_to_back_count(problem: Problem, duties: Mapping[tuple[Day, str], Iterable[int]]) -> int:
    """How many times someone is on duty on two service days in a row."""
    index = {day: i for i, day in enumerate(problem.days)}
    on: dict[int, set[int]] = {}
    for (day, _), ids in duties.items():
        for pid in ids:
            on.setdefault(pid, set()).add(index[day])
    return sum(1 for days in on.values() for i in days if i + 1 in days)


def space_out(problem: Problem, duties: dict[tuple[Day, str], list[int]], pinned: set,
              *, max_swaps: int = 5000) -> int:
    """Fewer duties on two service days in a row, without changing the objective.

    Among the optimal rosters many have the same loads; this prefers one where people are not
    on duty two days running. It exchanges two people's duties of the same kind on two days
    (each free that other day, neither with another duty on either day, neither pinned), so
    every load, every maximum and the doubles stay as they are — the roster stays optimal —
    and takes an exchange only when it lowers the number of back-to-back duties. Changes
    ``duties`` in place; returns the number left.
    """
    people = {p.id: p for p in problem.people}
    days = list(problem.days)
    index = {day: i for i, day in enumerate(days)}
    on: dict[int, dict[int, int]] = {}     # person → day index → duties that day

    def add(pid: int, i: int, n: int) -> None:
        row = on.setdefault(pid, {})
        row[i] = row.get(i, 0) + n
        if not row[i]:
            del row[i]

    for (day, _), ids in duties.items():
        for pid in ids:
            add(pid, index[day], 1)

    def near(pid: int, i: int) -> int:
        row = on.get(pid, {})
        return (i - 1 in row) + (i + 1 in row)

    swaps = 0
    improved = True
    while improved and swaps < max_swaps:
        improved = False
        for (day, kind), ids in sorted(duties.items(), key=lambda item: index[item[0][0]]):
            i = index[day]
            for pid in list(ids):
                if not near(pid, i) or on[pid][i] > 1 or (day, pid, kind) in pinned:
                    continue
                for (other_day, other_kind), others in duties.items():
                    j = index[other_day]
                    if other_kind != kind or abs(j - i) <= 0 or pid in on and j in on[pid]:
                        continue
                    if not people[pid].may(other_day, kind):
                        continue
                    for qid in others:
                        if (qid == pid or on[qid].get(j, 0) > 1 or i in on[qid]
                                or (other_day, qid, kind) in pinned
                                or not people[qid].may(day, kind)):
                            continue
                        before = near(pid, i) + near(qid, j)
                        add(pid, i, -1), add(qid, j, -1)
                        after = near(pid, j) + near(qid, i)
                        if after < before:
                            add(pid, j, 1), add(qid, i, 1)
                            ids[ids.index(pid)] = qid
                            others[others.index(qid)] = pid
                            swaps += 1
                            improved = True
                            break
                        add(pid, i, 1), add(qid, j, 1)
                    if improved:
                        break
                if improved:
                    break
            if improved:
                break
    return back_to_back_count(problem, duties)


def _squares_stage(problem, model, kinds, assigned, best_max, values, variables, run, relax,
                   hint, doubles) -> None:
    """Stage 3 on CP-SAT: the sum of squares of each person's total load, by unit steps.

    The j-th duty of a person who starts at load ``b`` costs (b + j)² − (b + j − 1)² =
    2(b + j) − 1, increasing in j, so a minimum takes the steps in order and the cost is
    exactly the square (linear, so the LP relaxation stays tight).
    """
    cost_terms = []
    steps_of: dict[int, list] = {}
    for p in problem.people:
        base = sum(p.initial.get(k, 0) for k in KINDS)
        mine = [v for k in kinds for v in assigned.get((p.id, k), [])]
        if not mine:
            continue
        # No more steps than the stage-2 maxima leave room for.
        room = sum(best_max[k] - p.initial.get(k, 0) for k in best_max)
        steps = [model.new_bool_var(f"s{p.id}_{j}") for j in range(1, min(len(mine), room) + 1)]
        model.add(sum(steps) == sum(mine))
        for a, b in zip(steps, steps[1:], strict=False):
            model.add_implication(b, a)
        cost_terms += [(2 * (base + j) - 1) * step for j, step in enumerate(steps, start=1)]
        steps_of[p.id] = steps
        variables += steps
    if not cost_terms:
        if not variables:
            run(0)  # no needs at all: still solved once, for a consistent result
        return
    squares_base = sum(sum(p.initial.get(k, 0) for k in KINDS) ** 2 for p in problem.people)
    cost = sum(cost_terms)
    # The flow relaxes only the doubles rule: its cost bounds this stage from below, and its
    # roster, when it has no more doubles than stage 1 allowed, is this stage's optimum.
    relaxed, squares, complete = relax()
    if complete:
        model.add(cost + squares_base >= squares)
        kept = dict(values)
        allowed = sum(kept.get(d.index, 0) for d in doubles.values())
        hint(relaxed)
        if sum(values[d.index] for d in doubles.values()) > allowed:
            values.clear()
            values.update(kept)
    for pid, steps in steps_of.items():
        taken = sum(values.get(v.index, 0) for k in kinds for v in assigned.get((pid, k), []))
        values.update((step.index, int(j <= taken)) for j, step in enumerate(steps, 1))
    run(cost)
