"""k > 1: up to k distinct courses per student, never two sections that share a slot.

The slot rule is not a network constraint, so CP-SAT has the last word, but the network does most
of the work, because dropping the slot rule (almost) gives a relaxation that is usually tight:

1. **Relaxation.** The network of :mod:`.network` with k units per student (the first unit
   counts as "placed"; a student's courses that can never be taken together are grouped
   behind one unit arc) is solved stage by stage exactly as for k = 1. Its values
   U = (placed, rank 1, …) bound the true optimum lexicographically from above, and its faces
   F_0 ⊇ F_1 ⊇ … are the sets of relaxed optima of the first stages.
2. **Seating.** Keep the relaxation's course choices and give every (student, course) a section
   without clashes: students whose courses could clash are seated greedily, most constrained
   first (CP-SAT if the greedy gets stuck); then the others are spread over their sections by a
   convex min-cost flow (sum of squares). If everyone is seated, the solution reaches the upper
   bound U, which proves rules 1–2 optimal. This is the usual case.
   If some student's relaxed courses can never be seated together (no clash-free choice of
   sections at all), that bundle S becomes a cut "at most |S| − 1 of S" for that student —
   a capacitated group arc, kept only if it nests with the student's other groups so that the
   network stays a network — and the relaxation is solved again (a few rounds at most).
3. **Fallback: hierarchical CP-SAT.** Stages 0 (placed) and 1 (rank 1) always equal the
   relaxation (keep one course per student: nothing can clash), so every true optimum lies in
   F_1; more generally, while the true values equal U, the true optima lie in the matching
   relaxed face. So the CP-SAT model is built only over the arcs free in that face, and the
   remaining stages are solved one at a time ("maximise, then fix the value as a constraint"),
   each hinted with the previous solution. A last stage with random weights is the lottery,
   then step 2's flow evens the sections of the students who cannot clash.

CP-SAT runs a single worker with the full LP relaxation (the models are nearly totally
unimodular, so the LP bound is what proves them), which is also what makes it reproducible:
the same instance and seed give the same solution, unless a wall-clock ``time_limit`` cuts a
stage short — and then ``optimal`` is false if that stage belonged to rules 1–2.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from itertools import product

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from .exact import node_members, relax
from .instance import Instance
from .network import LOTTERY_BITS, ArrangementNetwork, build_network
from .solution import Placement

log = logging.getLogger(__name__)

SEATING_SECONDS = 30.0  # CP-SAT seating when the greedy is stuck
LOTTERY_SECONDS = 10.0  # the fallback's lottery stage, when no time limit is given
MAX_COMBINATIONS = 4096  # per student, for the greedy seating
CUT_ROUNDS = 6  # relaxations re-solved with cuts for bundles that can never be seated
BAN_ROUNDS = 4  # relaxations re-solved without the courses that found no seat
DROP_COST = 1 << 32  # a unit left without a seat, in the spreading flow

Choice = dict[int, list[tuple[int, int]]]  # instance student → [(course node, rank)]


class _Clock:
    def __init__(self, limit: float | None):
        self.end = None if limit is None else time.perf_counter() + limit

    def left(self, cap: float | None = None) -> float | None:
        if self.end is None:
            return cap
        left = max(0.01, self.end - time.perf_counter())
        return left if cap is None else min(left, cap)


def _solver(seconds: float | None, *, hinted: bool = False) -> cp_model.CpSolver:
    """One deterministic CP-SAT worker with the full LP relaxation.

    On these nearly totally unimodular models the LP bound closes the search; a single worker
    with ``linearization_level=2`` proved them several times faster than the parallel
    portfolio on two cores, and it is reproducible. With a (feasible) hint, presolve must not
    drop dominated solutions, or it throws the hint away (seen on large k = 3 runs).
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.linearization_level = 2
    p.add_lp_constraints_lazily = False
    p.random_seed = 0
    p.keep_all_feasible_solutions_in_presolve = hinted
    if seconds is not None:
        p.max_time_in_seconds = seconds
    return solver


def solve_multi(
    inst: Instance, time_limit: float | None = None
) -> tuple[list[Placement], bool, dict]:
    clock = _Clock(time_limit)
    bundles: dict[int, list[frozenset[str]]] = defaultdict(list)
    for _ in range(CUT_ROUNDS):
        round_ = _Round(inst, bundles)
        # Cuts: a student's relaxed courses that no sections can ever hold together.
        new = [(s, b) for s, b in round_.seating.unseatable(round_.choice)
               if b not in bundles[s]]
        if not new:
            break
        for student, bundle in new:
            bundles[student].append(bundle)
    main, bound = round_, round_.values[:-1]
    placements = main.seating.seat(main.choice, clock, relaxed_split=True)
    if placements is not None:
        return placements, main.net.graph.proven, {
            "method": "network relaxation, tight",
            "sum_of_squares": main.seating.squares,
            "even_proven": main.seating.squares == main.values[-1],
        }
    # The relaxation's choices cannot all be seated. Primal heuristic: seat them leaving out
    # the courses that find no seat, ban those (student, course) pairs and solve the
    # relaxation again; if the banned relaxation still reaches the bound and can be seated,
    # that is a proven optimum. Otherwise the best seated solution met on the way (or each
    # student's best relaxed course alone, which cannot clash and so keeps stages 0–1 at
    # their optimum) is the incumbent and hint of the hierarchical CP-SAT.
    hierarchy = _Hierarchy(inst, main.net, main.faces, bound, clock)
    single = {s: [min(chosen, key=lambda c: c[1])] for s, chosen in main.choice.items()}
    main.seating.seat(single, clock, drop=True)
    incumbent = main.seating.seats
    banned: dict[int, set[str]] = defaultdict(set)
    current = main
    for _ in range(BAN_ROUNDS):
        current.seating.seat(current.choice, clock, relaxed_split=True, drop=True)
        seats = hierarchy.translate(current.net, current.seating.seats)
        if hierarchy.seats_vector(seats) > hierarchy.seats_vector(incumbent):
            incumbent = seats
        dropped = [(s, current.net.node_course[n]) for s, chosen in current.choice.items()
                   for n, _ in chosen if (s, n) not in current.seating.seats]
        if not dropped or hierarchy.seats_vector(incumbent) == tuple(bound):
            break
        for student, course in dropped:
            banned[student].add(course)
        current = _Round(inst, bundles, banned)
        if current.values[:-1] != bound:
            break  # the bans already cost a placement: they cannot lead to a proof
        placements = current.seating.seat(current.choice, clock, relaxed_split=True)
        if placements is not None:
            return placements, main.net.graph.proven and current.net.graph.proven, {
                "method": "network relaxation, tight after bans",
                "sum_of_squares": current.seating.squares,
                "even_proven": current.seating.squares == main.values[-1],
            }
    choice, fixed, optimal = hierarchy.run(incumbent, main.rng)
    placements = main.seating.seat(choice, clock, fixed=fixed)
    if placements is None:  # cannot happen: CP-SAT's own seats are a feasible answer
        raise RuntimeError("seating the CP-SAT solution failed")
    return placements, optimal and main.net.graph.proven, {
        "method": "hierarchical CP-SAT",
        "sum_of_squares": main.seating.squares,
        "stages": hierarchy.log,
    }


class _Round:
    """One relaxation: the network (with cuts and bans), its values, faces and choices."""

    def __init__(self, inst: Instance, bundles, banned=None):
        self.rng = random.Random(inst.seed)
        self.net = build_network(inst, bundles, banned)
        self.faces: list = []
        self.values = relax(inst, self.net, self.rng, self.faces)
        log.debug("relaxation %s", self.values)
        self.seating = _Seating(inst, self.net, self.rng)
        self.choice: Choice = defaultdict(list)
        for node, people in sorted(node_members(inst, self.net).items()):
            for student, rank in people:
                self.choice[student].append((node, rank))


# ------------------------------------------------------------------ 2. seating


class _Seating:
    """Sections for given course choices, without clashes, as even as possible."""

    def __init__(self, inst: Instance, net: ArrangementNetwork, rng: random.Random):
        self.inst, self.net, self.rng = inst, net, rng
        self.slots = [frozenset(inst.section_by_id[sid].slots) for sid in net.sections]
        self.capacity = [inst.section_by_id[sid].capacity for sid in net.sections]
        self.squares = 0

    def may_clash(self, nodes: list[int]) -> bool:
        seen: dict[str, int] = {}
        for node in nodes:
            for section in self.net.node_sections[node]:
                for slot in self.slots[section]:
                    if seen.setdefault(slot, node) != node:
                        return True
        return False

    def unseatable(self, choice: Choice):
        """(student, course ids) for each student whose courses can never be seated together."""
        for student, chosen in choice.items():
            nodes = [n for n, _ in chosen]
            if len(nodes) > 1 and self.may_clash(nodes) and not self._combinations(nodes):
                yield student, frozenset(self.net.node_course[n] for n in nodes)

    def seat(
        self, choice: Choice, clock: _Clock, *, relaxed_split: bool = False,
        fixed: dict[tuple[int, int], int] | None = None, drop: bool = False,
    ) -> list[Placement] | None:
        """Placements for ``choice``, or None if some chosen course finds no seat.

        ``fixed`` gives the sections of students who may clash (from CP-SAT); otherwise they
        are seated greedily, preferring the relaxation's split (``relaxed_split``), then by
        CP-SAT. With ``drop`` a course that finds no seat is left out (worst rank first)
        instead. ``self.seats`` keeps the result as (student, course node) → section.
        """
        load = [0] * len(self.capacity)
        seats: dict[tuple[int, int], int] = {}
        loose: dict[int, list[tuple[int, int]]] = defaultdict(list)  # node → [(student, rank)]
        tight = []
        for student, chosen in choice.items():
            if len(chosen) > 1 and self.may_clash([n for n, _ in chosen]):
                tight.append(student)
            else:
                for node, rank in chosen:
                    loose[node].append((student, rank))
        if fixed is not None:
            for student in tight:
                for node, _ in choice[student]:
                    seats[student, node] = fixed[student, node]
                    load[fixed[student, node]] += 1
        spread = None
        if fixed is not None or self._greedy(choice, tight, seats, load, relaxed_split, drop):
            spread = self._spread(loose, load, drop)
        if spread is None:
            log.debug("greedy seating stuck; CP-SAT seating")
            seats.clear()
            load = [0] * len(self.capacity)
            if not self._cp_sat(choice, tight, loose, seats, load, clock):
                return None
            spread = self._spread(loose, load, drop)
            if spread is None:
                return None
        placements = []
        for student in sorted(tight):
            for node, rank in choice[student]:
                if (student, node) in seats:
                    placements.append(
                        self._placement(student, node, seats[student, node], rank))
        for node in sorted(loose):
            people = loose[node]
            self.rng.shuffle(people)
            people.sort(key=lambda p: p[1])  # if some must go, the worst ranks go
            it = iter(people)
            for section, count in spread[node]:
                for _ in range(count):
                    student, rank = next(it)
                    seats[student, node] = section
                    placements.append(self._placement(student, node, section, rank))
        self.seats = seats
        return placements

    def _placement(self, student: int, node: int, section: int, rank: int) -> Placement:
        return Placement(self.inst.students[student].id, self.net.node_course[node],
                         self.net.sections[section], rank)

    def _combinations(self, nodes: list[int]) -> list[tuple[int, ...]]:
        out = []
        for combo in product(*(self.net.node_sections[n] for n in nodes)):
            used: set[str] = set()
            for section in combo:
                if used & self.slots[section]:
                    break
                used |= self.slots[section]
            else:
                out.append(combo)
                if len(out) >= MAX_COMBINATIONS:
                    break
        return out

    def _greedy(self, choice, tight, seats, load, relaxed_split, drop) -> bool:
        """Most constrained first; a seat the relaxation planned beats an emptier one."""
        net = self.net
        planned: dict[tuple[int, int], int] = defaultdict(int)
        if relaxed_split:
            flow = net.graph.flow
            for node, arcs in enumerate(net.node_arcs):
                for section, f in zip(net.node_sections[node], flow[arcs], strict=True):
                    planned[node, section] = int(f)
        options = {s: self._combinations([n for n, _ in choice[s]]) for s in tight}
        order = list(tight)
        self.rng.shuffle(order)
        order.sort(key=lambda s: len(options[s]))
        for student in order:
            nodes = [n for n, _ in choice[student]]
            best = self._best(nodes, options[student], load, planned)
            if best is None:
                if not drop:
                    return False
                nodes, best = self._best_subset(choice[student], load, planned)
            for node, section in zip(nodes, best, strict=True):
                seats[student, node] = section
                load[section] += 1
                planned[node, section] -= 1
        return True

    def _best(self, nodes, combos, load, planned):
        best, best_key = None, None
        for combo in combos:
            if any(load[s] >= self.capacity[s] for s in combo):
                continue
            key = (sum(planned[n, s] > 0 for n, s in zip(nodes, combo, strict=True)),
                   -sum(load[s] for s in combo))
            if best_key is None or key > best_key:
                best, best_key = combo, key
        return best

    def _best_subset(self, chosen, load, planned):
        """The best part of a student's courses that can still be seated (rules 1–2 order)."""
        subsets = []
        for mask in range(1, 1 << len(chosen)):
            part = [chosen[i] for i in range(len(chosen)) if mask >> i & 1]
            ranks = [0] * (max(r for _, r in chosen) + 1)
            for _, r in part:
                ranks[r] += 1
            subsets.append((ranks[1:], part))
        subsets.sort(key=lambda x: x[0], reverse=True)
        for _, part in subsets:
            nodes = [n for n, _ in part]
            best = self._best(nodes, self._combinations(nodes), load, planned)
            if best is not None:
                return nodes, best
        return [], ()

    def _cp_sat(self, choice, tight, loose, seats, load, clock) -> bool:
        """Seat the students who may clash with CP-SAT, keeping room for everyone else."""
        net, model = self.net, cp_model.CpModel()
        in_section: dict[int, list] = defaultdict(list)
        var: dict[tuple[int, int], list] = {}
        for student in tight:
            per_slot: dict[str, list] = defaultdict(list)
            for node, _ in choice[student]:
                options = []
                for section in net.node_sections[node]:
                    v = model.new_bool_var("")
                    options.append((section, v))
                    in_section[section].append(v)
                    for slot in sorted(self.slots[section]):  # a model independent of hashing
                        per_slot[slot].append(v)
                model.add_exactly_one(v for _, v in options)
                var[student, node] = options
            for vs in per_slot.values():
                if len(vs) > 1:
                    model.add_at_most_one(vs)
        for node, people in loose.items():
            counts = []
            for section in net.node_sections[node]:
                c = model.new_int_var(0, len(people), "")
                counts.append(c)
                in_section[section].append(c)
            model.add(sum(counts) == len(people))
        for section, vs in in_section.items():
            model.add(sum(vs) <= self.capacity[section])
        solver = _solver(clock.left(SEATING_SECONDS))
        status = solver.solve(model)
        log.debug("CP-SAT seating: %s", solver.status_name(status))
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        for (student, node), options in var.items():
            section = next(s for s, v in options if solver.boolean_value(v))
            seats[student, node] = section
            load[section] += 1
        return True

    def _spread(self, loose, load, drop) -> dict[int, list[tuple[int, int]]] | None:
        """Seat the students who cannot clash: a convex min-cost flow on top of ``load``.

        Course node → section → sink, the j-th extra seat of a section costing
        2(load + j) − 1, so the flow minimises the sum of squared section sizes exactly.
        With ``drop``, units may go straight to the sink at a prohibitive cost instead.
        """
        net = self.net
        nodes = sorted(loose)
        n_nodes, n_sections = len(nodes), len(self.capacity)
        sink = n_nodes + n_sections
        tails, heads, caps, costs, node_arc = [], [], [], [], {}
        for i, node in enumerate(nodes):
            for section in net.node_sections[node]:
                node_arc[node, section] = len(tails)
                tails.append(i)
                heads.append(n_nodes + section)
                caps.append(len(loose[node]))
                costs.append(0)
        if drop:
            for i, node in enumerate(nodes):
                tails.append(i)
                heads.append(sink)
                caps.append(len(loose[node]))
                costs.append(DROP_COST)
        reach = [0] * n_sections
        for node in nodes:
            for section in net.node_sections[node]:
                reach[section] += len(loose[node])
        for section, cap in enumerate(self.capacity):
            for j in range(load[section] + 1, min(cap, load[section] + reach[section]) + 1):
                tails.append(n_nodes + section)
                heads.append(sink)
                caps.append(1)
                costs.append(2 * j - 1)
        solver = min_cost_flow.SimpleMinCostFlow()
        if tails:
            solver.add_arcs_with_capacity_and_unit_cost(
                np.asarray(tails, np.int32), np.asarray(heads, np.int32),
                np.asarray(caps, np.int64), np.asarray(costs, np.int64))
        total = sum(len(p) for p in loose.values())
        supplies = [len(loose[n]) for n in nodes] + [0] * n_sections + [-total]
        solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32),
                                  np.asarray(supplies, np.int64))
        if solver.solve() != solver.OPTIMAL:
            return None
        flows = solver.flows(np.arange(len(tails), dtype=np.int32)) if tails else []
        size = list(load)
        spread = {}
        for node in nodes:
            row = []
            for section in net.node_sections[node]:
                f = int(flows[node_arc[node, section]])
                row.append((section, f))
                size[section] += f
            spread[node] = row
        self.squares = sum(s * s for s in size)
        return spread


# ------------------------------------------------------------------ 3. fallback


class _Hierarchy:
    """Hierarchical CP-SAT over the relaxed faces that are proven to hold every true optimum."""

    def __init__(self, inst, net: ArrangementNetwork, faces, bound, clock):
        self.inst, self.net, self.faces, self.bound = inst, net, faces, bound
        self.clock = clock
        self.log: list = []
        self.slots = [inst.section_by_id[sid].slots for sid in net.sections]
        self.model = cp_model.CpModel()
        self.y: dict[int, list[tuple[int, cp_model.IntVar]]] = {}  # pref arc → sections
        self.placed: dict[int, cp_model.IntVar] = {}  # network student → placed
        self.size: dict[int, list] = defaultdict(list)
        self.applied = None  # the face whose bounds the model holds
        self.rank_of = {
            (net.students[int(net.pref_student[i])], int(net.pref_node[i])): int(net.pref_rank[i])
            for i in range(len(net.pref_arcs))
        }
        self.node_of = {(student, net.node_course[node]): node for student, node in self.rank_of}

    def translate(self, other: ArrangementNetwork, seats) -> dict[tuple[int, int], int]:
        """Seats keyed by another network's course nodes, keyed by this network's."""
        return {(student, self.node_of[student, other.node_course[node]]): section
                for (student, node), section in seats.items()}

    def _build(self, face) -> None:
        net, model = self.net, self.model
        lower, upper = face
        arcs_of: dict[int, list[int]] = defaultdict(list)
        for i, arc in enumerate(net.pref_arcs):
            if upper[arc] > 0:
                arcs_of[int(net.pref_student[i])].append(i)
        open_ = {
            (node, section)
            for node, arcs in enumerate(net.node_arcs)
            for section, arc in zip(net.node_sections[node], arcs, strict=True)
            if upper[arc] > 0
        }
        for student, prefs in arcs_of.items():
            per_slot: dict[str, list] = defaultdict(list)
            total = []
            for i in prefs:
                node = int(net.pref_node[i])
                options = []
                for section in net.node_sections[node]:
                    if (node, section) in open_:
                        v = model.new_bool_var("")
                        options.append((section, v))
                        self.size[section].append(v)
                        for slot in self.slots[section]:
                            per_slot[slot].append(v)
                self.y[i] = options
                if len(options) > 1:
                    model.add_at_most_one(v for _, v in options)
                total.extend(v for _, v in options)
            for vs in per_slot.values():
                if len(vs) > 1:
                    model.add_at_most_one(vs)
            placed = model.new_bool_var("")
            model.add(sum(total) <= self.inst.k)
            model.add_bool_or(total).only_enforce_if(placed)
            model.add_bool_and([v.Not() for v in total]).only_enforce_if(placed.Not())
            self.placed[student] = placed
        for section, vs in self.size.items():
            model.add(sum(vs) <= self.inst.section_by_id[net.sections[section]].capacity)
        self.restrict(face)

    def restrict(self, face) -> None:
        """Add the bounds of a relaxed face (valid while the true values equal the bound)."""
        net, model = self.net, self.model
        lower, upper = face
        old_lower, old_upper = self.applied or (None, None)

        def changed(arc) -> bool:
            return old_lower is None or (
                lower[arc] != old_lower[arc] or upper[arc] != old_upper[arc])

        for i, options in self.y.items():
            arc = net.pref_arcs[i]
            if not changed(arc):
                continue
            if upper[arc] == 0:
                for _, v in options:
                    model.add(v == 0)
            elif lower[arc] > 0:
                model.add_exactly_one(v for _, v in options)
        for student, placed in self.placed.items():
            arc = net.placed_arcs[student]
            if not changed(arc):
                continue
            if lower[arc] > 0:
                model.add(placed == 1)
            elif upper[arc] == 0:
                model.add(placed == 0)
        n = len(net.sections)
        lo = np.bincount(net.unit_section, weights=lower[net.unit_arcs], minlength=n)
        hi = np.bincount(net.unit_section, weights=upper[net.unit_arcs], minlength=n)
        if old_lower is not None:
            old_lo = np.bincount(net.unit_section, weights=old_lower[net.unit_arcs], minlength=n)
            old_hi = np.bincount(net.unit_section, weights=old_upper[net.unit_arcs], minlength=n)
        for section, vs in self.size.items():
            if old_lower is None or lo[section] != old_lo[section] or (
                    hi[section] != old_hi[section]):
                model.add_linear_constraint(sum(vs), int(lo[section]), int(hi[section]))
        self.applied = face

    def objectives(self) -> list[list]:
        """The variables counted by each stage: placed, then each rank."""
        by_rank: dict[int, list] = defaultdict(list)
        for i, options in self.y.items():
            by_rank[int(self.net.pref_rank[i])].extend(v for _, v in options)
        ranks = [by_rank[r] for r in range(1, self.inst.max_rank + 1)]
        return [list(self.placed.values()), *ranks]

    def _assignment(self, seats: dict[tuple[int, int], int]) -> dict:
        """Variable values of a solution given as (student, course node) → section."""
        net, values = self.net, {}
        placed = {student for student, _ in seats}
        for i, options in self.y.items():
            key = (net.students[int(net.pref_student[i])], int(net.pref_node[i]))
            for section, v in options:
                values[v.index] = int(seats.get(key) == section)
        for student, v in self.placed.items():
            values[v.index] = int(net.students[student] in placed)
        return values

    @staticmethod
    def _vector(values: dict, objectives) -> tuple[int, ...]:
        return tuple(sum(values[v.index] for v in stage) for stage in objectives)

    def seats_vector(self, seats) -> tuple[int, ...]:
        vector = [len({student for student, _ in seats})] + [0] * self.inst.max_rank
        for key in seats:
            vector[self.rank_of[key]] += 1
        return tuple(vector)

    def run(self, seats, rng) -> tuple[Choice, dict[tuple[int, int], int], bool]:
        """Rules 1–2 stage by stage, then the lottery; returns choices, seats, proven.

        ``seats`` is a feasible incumbent, (student, course node) → section.
        """
        bound = tuple(self.bound)
        found = self.seats_vector(seats)
        first = 2  # stages 0 and 1 always equal the relaxation, see the module docstring
        while first < len(bound) and found[: first + 1] == bound[: first + 1]:
            self.log.append({"stage": first, "status": "BOUND", "value": found[first]})
            first += 1
        if first == len(bound):  # the incumbent reaches the bound everywhere
            choice: Choice = defaultdict(list)
            for (student, node), _ in sorted(seats.items()):
                choice[student].append((node, self.rank_of[student, node]))
            return choice, dict(seats), True
        # The true optima lie in the face of the stages before `first`: model only that.
        self._build(self.faces[first - 1])
        model = self.model
        objectives = self.objectives()
        for stage in range(first):
            model.add(sum(objectives[stage]) == bound[stage])
        incumbent = self._assignment(seats)
        optimal, on_bound = True, True
        stage = first
        while stage < len(objectives):
            expr = sum(objectives[stage])
            if on_bound:
                self.restrict(self.faces[stage - 1])
                if found[: stage + 1] == bound[: stage + 1]:
                    model.add(expr == bound[stage])
                    self.log.append({"stage": stage, "status": "BOUND", "value": found[stage]})
                    stage += 1
                    continue
                model.add(expr <= bound[stage])
            # Two levels at once, B·this + next with next < B: exact for both when proven,
            # and the solution stays a good hint for the stage after.
            pair = stage + 1 < len(objectives)
            if pair:
                weight = len(objectives[stage + 1]) + 1
                model.maximize(weight * expr + sum(objectives[stage + 1]))
            else:
                model.maximize(expr)
            solver, status = self._solve(model, incumbent, self.clock.left(), stage)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                optimal = False  # out of time: keep the incumbent for the remaining stages
                break
            incumbent = self._values(solver)
            found = self._vector(incumbent, objectives)
            optimal = optimal and status == cp_model.OPTIMAL
            on_bound = on_bound and found[stage] == bound[stage]
            model.clear_objective()
            model.add(expr == found[stage])
            stage += 1
            if pair and status == cp_model.OPTIMAL:
                if on_bound:
                    self.restrict(self.faces[stage - 1])
                on_bound = on_bound and found[stage] == bound[stage]
                model.add(sum(objectives[stage]) == found[stage])
                self.log.append({"stage": stage, "status": "PAIRED", "value": found[stage]})
                stage += 1
        else:
            # The lottery: random weights on the choices, within the values just fixed.
            arcs = sorted(self.y)
            weights = [rng.getrandbits(LOTTERY_BITS) for _ in arcs]
            model.minimize(sum(w * v for i, w in zip(arcs, weights, strict=True)
                               for _, v in self.y[i]))
            solver, status = self._solve(model, incumbent, self.clock.left(LOTTERY_SECONDS),
                                         "lottery")
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                incumbent = self._values(solver)
        choice = defaultdict(list)
        fixed: dict[tuple[int, int], int] = {}
        for i, options in self.y.items():
            for section, v in options:
                if incumbent[v.index]:
                    student = self.net.students[int(self.net.pref_student[i])]
                    node = int(self.net.pref_node[i])
                    choice[student].append((node, int(self.net.pref_rank[i])))
                    fixed[student, node] = section
        return choice, fixed, optimal

    def _values(self, solver) -> dict:
        values = {v.index: int(solver.boolean_value(v))
                  for options in self.y.values() for _, v in options}
        values.update((v.index, int(solver.boolean_value(v))) for v in self.placed.values())
        return values

    def _solve(self, model, hint: dict, seconds, stage):
        model.clear_hints()
        for options in self.y.values():
            for _, v in options:
                model.add_hint(v, hint[v.index])
        for v in self.placed.values():
            model.add_hint(v, hint[v.index])
        solver = _solver(seconds, hinted=True)
        start = time.perf_counter()
        status = solver.solve(model)
        if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):  # the incumbent is feasible
            raise RuntimeError(f"CP-SAT: {solver.status_name(status)} at stage {stage}")
        self.log.append({"stage": stage, "status": solver.status_name(status),
                         "value": round(solver.objective_value),
                         "seconds": round(time.perf_counter() - start, 2)})
        log.debug("stage %s", self.log[-1])
        return solver, status
