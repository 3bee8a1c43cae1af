"""Lexicographic min-cost flow by successive optimal faces, and the arrangement's network.

Why this is exact
-----------------
Rules 1–2 ask for a lexicographic optimum (placed, rank 1, rank 2, …). One weighted objective
would need weights like (n + 1)^stages, which overflow int64 at 20,000 students and five ranks
(and OR-Tools' cost-scaling min-cost flow multiplies costs by the node count on top). So the
objectives are optimised one at a time, each over the set of optima of the ones before:

1. Solve the stage with OR-Tools ``SimpleMinCostFlow`` (integral, exact integer arithmetic).
2. Compute node potentials ``d`` as shortest-path distances in the residual graph of that flow
   (Bellman–Ford, vectorised with numpy, from a virtual root joined to every node at cost 0).
   An optimal flow has no negative residual cycle, so this converges, and convergence itself is
   the certificate: every residual arc has reduced cost ``c + d[u] - d[v] >= 0``, which is
   complementary slackness, proving the flow optimal in exact integers.
3. Restrict to the optimal face: for *any* optimal dual ``d``, a feasible flow is optimal iff
   complementary slackness holds, so arcs with reduced cost > 0 carry their lower bound in
   every optimum and arcs with reduced cost < 0 their upper bound. Fixing exactly those arcs
   (bounds only) leaves the set of optimal flows and keeps the network structure, hence the
   next stage is again an integral min-cost flow and the face is never cut into by rounding.

The previous stage's flow stays feasible in the new face, so a stage whose cost vanishes on
every free arc is skipped. Each stage costs are small integers (−1/0, or 2j − 1 for the convex
evenness stage, or random lottery numbers below 2^20), so nothing overflows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .instance import DAYS, Instance

LOTTERY_BITS = 20


class StagedMinCostFlow:
    """A circulation network whose arc bounds shrink to the optimal face after each stage."""

    def __init__(self, num_nodes: int, tails, heads, capacities):
        self.num_nodes = num_nodes
        self.tails = np.asarray(tails, dtype=np.int32)
        self.heads = np.asarray(heads, dtype=np.int32)
        self.upper = np.asarray(capacities, dtype=np.int64).copy()
        self.lower = np.zeros_like(self.upper)
        self.flow = np.zeros_like(self.upper)  # a circulation: zero is feasible at the start
        self.proven = True  # every stage so far certified by its potentials

    def optimise(self, cost, *, restrict: bool = True) -> int:
        """Minimise ``cost`` over the current face; then (``restrict``) shrink to its optima.

        Returns the optimal cost of the stage (over all arcs, fixed ones included).
        """
        cost = np.asarray(cost, dtype=np.int64)
        free = np.flatnonzero(self.upper > self.lower)
        if not np.any(cost[free]):
            return int(cost @ self.flow)
        supply = np.zeros(self.num_nodes, dtype=np.int64)
        np.add.at(supply, self.heads, self.lower)
        np.subtract.at(supply, self.tails, self.lower)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            self.tails[free], self.heads[free], self.upper[free] - self.lower[free], cost[free]
        )
        solver.set_nodes_supplies(np.arange(self.num_nodes, dtype=np.int32), supply)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        flow = self.lower.copy()
        flow[free] += solver.flows(np.arange(len(free), dtype=np.int32))
        self.flow = flow
        if restrict:
            self._restrict(cost, free)
        return int(cost @ flow)

    def _restrict(self, cost: np.ndarray, free: np.ndarray) -> None:
        flow, tails, heads = self.flow, self.tails[free], self.heads[free]
        fwd = flow[free] < self.upper[free]
        bwd = flow[free] > self.lower[free]
        r_tail = np.concatenate([tails[fwd], heads[bwd]])
        r_head = np.concatenate([heads[fwd], tails[bwd]])
        r_cost = np.concatenate([cost[free][fwd], -cost[free][bwd]])
        dist = np.zeros(self.num_nodes, dtype=np.int64)
        for _ in range(self.num_nodes + 1):
            relaxed = dist.copy()
            np.minimum.at(relaxed, r_head, dist[r_tail] + r_cost)
            if np.array_equal(relaxed, dist):
                break
            dist = relaxed
        else:  # a negative residual cycle: the flow was not optimal
            self.proven = False
            return
        reduced = cost[free] + dist[tails] - dist[heads]
        at_lower = free[reduced > 0]
        at_upper = free[reduced < 0]
        # Complementary slackness holds by construction; checked as a guard on the solver.
        if np.any(flow[at_lower] != self.lower[at_lower]) or np.any(
            flow[at_upper] != self.upper[at_upper]
        ):
            self.proven = False
            return
        self.upper[at_lower] = self.lower[at_lower]
        self.lower[at_upper] = self.upper[at_upper]


@dataclass
class ArrangementNetwork:
    """source → student → (course, fitting sections) → section → sink → source.

    Students are only those with at least one fitting preference. A "course node" groups the
    sections of one course that fit one set of days, so a student has one arc per usable
    preference (its rank on the arc) however many sections fit. Each section reaches the sink
    through unit arcs ``j = 1..capacity`` so that the convex evenness cost 2j − 1 sums to the
    square of the section's size. A student's first unit from the source is "placed"; with
    k > 1 further k − 1 units may follow (the course-node arcs keep courses distinct), and a
    student's courses that can never be taken together pass through one shared unit arc
    (see :class:`_Incompatibility`).
    """

    graph: StagedMinCostFlow
    students: list[int]  # instance index of each network student
    placed_arcs: np.ndarray  # arc index per network student
    pref_arcs: np.ndarray
    pref_student: np.ndarray  # network student of each preference arc
    pref_rank: np.ndarray
    pref_node: np.ndarray  # course node of each preference arc
    node_course: list[str]
    node_sections: list[tuple[int, ...]]  # section indexes (inst order) per course node
    node_arcs: list[np.ndarray]  # arc index per (course node, its sections)
    unit_arcs: np.ndarray
    unit_section: np.ndarray  # section index of each unit arc
    unit_weight: np.ndarray  # 2j − 1 for the j-th seat of a section
    sections: list[str]  # section id per section index

    def stage_cost(self, arcs: np.ndarray, values) -> np.ndarray:
        cost = np.zeros(len(self.graph.tails), dtype=np.int64)
        cost[arcs] = values
        return cost

    def lottery_cost(self, rng: random.Random) -> np.ndarray:
        arcs = np.concatenate([self.pref_arcs, *self.node_arcs]).astype(np.int64)
        values = [rng.getrandbits(LOTTERY_BITS) for _ in range(len(arcs))]
        return self.stage_cost(arcs, values)


def day_mask(days) -> int:
    mask = 0
    for day in days:
        mask |= 1 << DAYS.index(day)
    return mask


def build_network(
    inst: Instance,
    bundles: Mapping[int, list[frozenset[str]]] | None = None,
    banned: Mapping[int, set[str]] | None = None,
) -> ArrangementNetwork:
    """The network of ``inst``.

    For k > 1, ``bundles`` maps an instance student index to sets of course ids the student
    can never take all together (so at most |S| − 1 of S: valid cuts), and ``banned`` to
    course ids left out for that student (a heuristic restriction, not a relaxation).
    """
    k = inst.k
    section_ids = list(inst.section_by_id)
    section_index = {sid: i for i, sid in enumerate(section_ids)}
    section_mask = [day_mask(s.days) for s in inst.section_by_id.values()]
    course_sections = {
        c.id: [(section_index[s.id], section_mask[section_index[s.id]]) for s in c.sections]
        for c in inst.courses
    }
    fit_cache: dict[tuple[str, int], int] = {}
    node_key: dict[tuple[str, tuple[int, ...]], int] = {}
    node_course: list[str] = []
    node_sections: list[tuple[int, ...]] = []

    students: list[int] = []
    p_student: list[int] = []
    p_rank: list[int] = []
    p_node: list[int] = []
    p_group: list[int] = []  # -1, or the innermost group of courses the arc goes through
    group_student: list[int] = []
    group_parent: list[int] = []  # -1 (the student) or the enclosing group
    group_cap: list[int] = []
    clash = _Incompatibility(inst, section_ids)
    for index, student in enumerate(inst.students):
        mask = day_mask(student.day_set)
        first = True
        begin = len(p_node)
        out = banned.get(index, ()) if banned else ()
        for rank, course_id in enumerate(student.preferences, start=1):
            if student.grade not in inst.course_by_id[course_id].grade_set or course_id in out:
                continue
            key = (course_id, mask)
            node = fit_cache.get(key)
            if node is None:
                fit = tuple(i for i, m in course_sections[course_id] if m & ~mask == 0)
                if fit:
                    node = node_key.get((course_id, fit))
                    if node is None:
                        node = node_key[course_id, fit] = len(node_course)
                        node_course.append(course_id)
                        node_sections.append(fit)
                else:
                    node = -1
                fit_cache[key] = node
            if node < 0:
                continue
            if first:
                students.append(index)
                first = False
            p_student.append(len(students) - 1)
            p_rank.append(rank)
            p_node.append(node)
            p_group.append(-1)
        if k > 1 and not first:
            cliques = clash.groups(p_node[begin:], node_sections)
            courses = [node_course[n] for n in p_node[begin:]]
            extra = (bundles or {}).get(index, [])
            made: list[set[int]] = []
            for members, cap in _laminar(cliques, courses, extra):
                # Largest first: the smallest enclosing group is the last one made.
                enclosing = [j for j, other in enumerate(made) if set(members) <= other]
                group = len(group_student)
                group_parent.append(group - len(made) + enclosing[-1] if enclosing else -1)
                group_student.append(len(students) - 1)
                group_cap.append(cap)
                made.append(set(members))
                for offset in members:
                    p_group[begin + offset] = group  # the innermost group wins

    n_students, n_nodes, n_sections = len(students), len(node_course), len(section_ids)
    student0, node0, section0 = 2, 2 + n_students, 2 + n_students + n_nodes
    group0 = section0 + n_sections
    tails: list = []
    heads: list = []
    caps: list = []
    count = [0]

    def add(t, h, c) -> np.ndarray:
        t, h, c = np.broadcast_arrays(
            np.asarray(t, np.int64), np.asarray(h, np.int64), np.asarray(c, np.int64))
        tails.append(t.ravel())
        heads.append(h.ravel())
        caps.append(c.ravel())
        count[0] += t.size
        return np.arange(count[0] - t.size, count[0])

    stu_nodes = student0 + np.arange(n_students)
    placed_arcs = add(0, stu_nodes, 1)
    if k > 1:
        add(0, stu_nodes, k - 1)
    pref_student = np.asarray(p_student, dtype=np.int64)
    pref_node = np.asarray(p_node, dtype=np.int64)
    group = np.asarray(p_group, dtype=np.int64)
    parent = np.asarray(group_parent, dtype=np.int64)
    add(np.where(parent < 0, student0 + np.asarray(group_student, dtype=np.int64),
                 group0 + parent),
        group0 + np.arange(len(group_student)), np.asarray(group_cap, dtype=np.int64))
    pref_tail = np.where(group < 0, student0 + pref_student, group0 + group)
    pref_arcs = add(pref_tail, node0 + pref_node, 1)
    inflow = np.bincount(pref_node, minlength=n_nodes)
    reach = np.zeros(n_sections, dtype=np.int64)
    node_arcs = []
    for node, fit in enumerate(node_sections):
        fit_arr = np.asarray(fit, dtype=np.int64)
        node_arcs.append(add(node0 + node, section0 + fit_arr, inflow[node]))
        reach[fit_arr] += inflow[node]
    # One unit arc per seat that can possibly be used.
    capacity = np.asarray([s.capacity for s in inst.section_by_id.values()], dtype=np.int64)
    seats = np.minimum(capacity, reach)
    unit_section = np.repeat(np.arange(n_sections), seats)
    starts = np.cumsum(seats) - seats
    unit_j = np.arange(len(unit_section)) - np.repeat(starts, seats) + 1
    unit_arcs = add(section0 + unit_section, 1, 1)
    add(1, 0, n_students * k)
    graph = StagedMinCostFlow(
        group0 + len(group_student), np.concatenate(tails), np.concatenate(heads),
        np.concatenate(caps),
    )
    return ArrangementNetwork(
        graph=graph,
        students=students,
        placed_arcs=placed_arcs,
        pref_arcs=pref_arcs,
        pref_student=pref_student,
        pref_rank=np.asarray(p_rank, dtype=np.int64),
        pref_node=pref_node,
        node_course=node_course,
        node_sections=node_sections,
        node_arcs=node_arcs,
        unit_arcs=unit_arcs,
        unit_section=unit_section,
        unit_weight=2 * unit_j - 1,
        sections=section_ids,
    )


def _laminar(cliques: list[list[int]], courses: list[str], bundles: list[frozenset[str]]):
    """(positions, cap) of a student's groups, largest first: the bundles (cap |S| − 1) that
    nest with the cliques (cap 1) and with each other, then the cliques."""
    groups: list[tuple[frozenset[int], int]] = [(frozenset(c), 1) for c in cliques]
    for bundle in bundles:
        members = frozenset(i for i, c in enumerate(courses) if c in bundle)
        if len(members) < len(bundle) or len(members) < 2:
            continue  # not all of the bundle is still usable: nothing to add
        if members not in {g for g, _ in groups} and all(
                g <= members or members <= g or not (g & members) for g, _ in groups):
            groups.append((members, len(members) - 1))
    groups.sort(key=lambda g: -len(g[0]))
    return [(sorted(g), cap) for g, cap in groups]


class _Incompatibility:
    """k > 1: a student takes at most one course of each group of mutually incompatible ones.

    Two course nodes are incompatible when no section of one and section of the other are
    free of a common slot, so no student can take both. Grouping a student's courses into
    cliques of incompatible ones, each behind one unit arc, keeps the network a network
    (the groups are disjoint) and only tightens the relaxation; what it leaves out (clashes
    forced by full sections, three-way clashes, edges across groups) is left to step 2 and
    CP-SAT. The cliques are chosen to cover as many incompatible pairs as possible:
    exhaustively for up to six courses, greedily in rank order beyond.
    """

    def __init__(self, inst: Instance, section_ids: list[str]):
        self.slots = [frozenset(inst.section_by_id[sid].slots) for sid in section_ids]
        self.cache: dict[tuple[int, int], bool] = {}

    def incompatible(self, a: int, b: int, node_sections) -> bool:
        key = (a, b) if a < b else (b, a)
        value = self.cache.get(key)
        if value is None:
            value = not any(
                not (self.slots[x] & self.slots[y])
                for x in node_sections[a] for y in node_sections[b]
            )
            self.cache[key] = value
        return value

    def groups(self, nodes: list[int], node_sections) -> list[list[int]]:
        """Groups (positions in ``nodes``, at least two each) of pairwise incompatible nodes."""
        m = len(nodes)
        edges = {
            (i, j) for i in range(m) for j in range(i + 1, m)
            if self.incompatible(nodes[i], nodes[j], node_sections)
        }
        if not edges:
            return []
        best: list[list[int]] = []
        if m <= 6:
            best_cover = -1
            for partition in _partitions(list(range(m))):
                if all(_clique(g, edges) for g in partition):
                    cover = sum(len(g) * (len(g) - 1) // 2 for g in partition)
                    if cover > best_cover:
                        best, best_cover = partition, cover
        else:
            for i in range(m):
                for group in best:
                    if _clique([*group, i], edges):
                        group.append(i)
                        break
                else:
                    best.append([i])
        return [g for g in best if len(g) > 1]


def _clique(group: list[int], edges: set[tuple[int, int]]) -> bool:
    return all((a, b) in edges for i, a in enumerate(group) for b in group[i + 1:])


def _partitions(items: list[int]):
    """Every partition of ``items`` into non-empty groups (Bell(6) = 203 for six)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[first], *partition]
        for i in range(len(partition)):
            yield [*partition[:i], [first, *partition[i]], *partition[i + 1:]]
