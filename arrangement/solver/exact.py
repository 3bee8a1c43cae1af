"""The exact arrangement: rules 1–2 proven optimal, then even sections, then a seeded lottery.

k = 1 is a transportation problem, solved as a staged lexicographic min-cost flow
(see :mod:`arrangement.solver.network` for why the stages are exact): placed students, then rank 1,
rank 2, …, then the sum over sections of size² (convex: sections of a course as even as the
days allow), then random integer costs drawn from ``random.Random(seed)`` (the lottery). Which
student of a course node sits in which of its sections is decided by a seeded shuffle.

k > 1 adds one non-network rule, "no two sections that share a slot"; see :mod:`.multi`.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

import numpy as np

from .instance import Instance
from .network import ArrangementNetwork, build_network
from .solution import Placement, Solution, build_solution


def solve(inst: Instance, time_limit: float | None = None) -> Solution:
    """The optimal arrangement of FORMAT.md; ``stats.optimal`` says whether rules 1–2 are proven.

    ``time_limit`` (seconds) only bounds the CP-SAT part used when k > 1. Pinned students
    (``inst.pinned``) keep their seats; the others are solved exactly around them.
    """
    if inst.pinned:
        from .pinned import solve_around_pins

        return solve_around_pins(inst, lambda free: solve(free, time_limit=time_limit))
    if inst.k == 1:
        start = time.perf_counter()
        placements, optimal, extra = solve_single(inst)
    else:
        from .multi import solve_multi  # imports CP-SAT (and pandas): only when needed

        start = time.perf_counter()
        placements, optimal, extra = solve_multi(inst, time_limit=time_limit)
    return build_solution(
        inst, placements, seconds=time.perf_counter() - start, optimal=optimal,
        mechanism="exact", extra=extra,
    )


def relax(
    inst: Instance, net: ArrangementNetwork, rng: random.Random, faces: list | None = None
) -> tuple[int, ...]:
    """Run every stage on the network; return (placed, rank 1, …, sum of squares).

    For k = 1 this is the problem itself; for k > 1 it is the relaxation without slot clashes.
    ``faces`` (if given) receives the arc bounds (lower, upper) after each stage of rules 1–2.
    """
    g = net.graph
    values = [-g.optimise(net.stage_cost(net.placed_arcs, -1))]
    if faces is not None:
        faces.append((g.lower.copy(), g.upper.copy()))
    for rank in range(1, inst.max_rank + 1):
        arcs = net.pref_arcs[net.pref_rank == rank]
        values.append(-g.optimise(net.stage_cost(arcs, -1)))
        if faces is not None:
            faces.append((g.lower.copy(), g.upper.copy()))
    values.append(g.optimise(net.stage_cost(net.unit_arcs, net.unit_weight)))
    g.optimise(net.lottery_cost(rng), restrict=False)
    return tuple(values)


def node_members(inst: Instance, net: ArrangementNetwork) -> dict[int, list[tuple[int, int]]]:
    """Course node → [(instance student index, rank)] chosen by the current flow."""
    members: dict[int, list[tuple[int, int]]] = defaultdict(list)
    chosen = np.flatnonzero(net.graph.flow[net.pref_arcs] > 0)
    for arc in chosen:
        student = net.students[net.pref_student[arc]]
        members[int(net.pref_node[arc])].append((student, int(net.pref_rank[arc])))
    return members


def solve_single(inst: Instance) -> tuple[list[Placement], bool, dict]:
    rng = random.Random(inst.seed)
    net = build_network(inst)
    values = relax(inst, net, rng)
    flow = net.graph.flow
    placements = []
    members = node_members(inst, net)
    for node in sorted(members):
        people = members[node]
        rng.shuffle(people)
        course = net.node_course[node]
        seats = flow[net.node_arcs[node]]
        it = iter(people)
        for section, count in zip(net.node_sections[node], seats, strict=True):
            for _ in range(int(count)):
                student, rank = next(it)
                placements.append(
                    Placement(inst.students[student].id, course, net.sections[section], rank)
                )
    return placements, net.graph.proven, {"sum_of_squares": values[-1]}
