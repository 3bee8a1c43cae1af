"""Fixed placements: solve around students whose whole arrangement is pinned.

A pinned student keeps exactly the sections they are pinned to (all of them when k > 1; none
keeps them without a course) and takes no other seat. Nobody else depends on which pinned
student sits where, only on how many seats are left, so the instance splits:

* the pinned students leave the instance, and each section's capacity drops by the number of
  pinned students in it (never below zero: the office may have seated a section fuller than
  a later capacity);
* the remaining students are solved as an ordinary instance, with the same rules and seed;
* the two are merged, and the statistics and reasons are computed over the whole instance.

This is exact for rules 1–2: the objective (placed, rank 1, …) of a solution is the sum of the
pinned students' part, which is the same in every solution that keeps the pins, and the free
students' part, whose feasible choices are exactly those of the reduced instance (a section
with ``c`` seats of which ``p`` are pinned has ``c − p`` left for the others; slots and the
course limit concern each student alone). ``tests/arrangement/test_solver_pinned.py`` checks it
against brute force over the full instance with the pinned placements forced.

A pinned placement need not be one of the student's preferences (the office may place a child
outside them); it then has rank 0 and counts as placed but under no rank.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from .instance import Instance
from .solution import Placement, Solution, build_solution


def free_instance(inst: Instance) -> Instance:
    """The instance without its pinned students, with their seats taken off the capacities."""
    pinned = inst.pinned_sections
    taken = Counter(section for sections in pinned.values() for section in sections)
    courses = tuple(
        replace(course, sections=tuple(
            replace(section, capacity=max(0, section.capacity - taken[section.id]))
            for section in course.sections))
        for course in inst.courses)
    return Instance(courses=courses,
                    students=tuple(s for s in inst.students if s.id not in pinned),
                    seed=inst.seed, max_courses_per_student=inst.max_courses_per_student)


def pinned_placements(inst: Instance) -> list[Placement]:
    placements = []
    for student_id, sections in inst.pinned:
        preferences = inst.student_by_id[student_id].preferences
        for section_id in sections:
            course = inst.course_of_section[section_id].id
            rank = preferences.index(course) + 1 if course in preferences else 0
            placements.append(Placement(student_id, course, section_id, rank))
    return placements


def solve_around_pins(inst: Instance, solve_free: Callable[[Instance], Solution]) -> Solution:
    """Solve the free students with ``solve_free`` and merge them with the pinned ones."""
    start = time.perf_counter()
    sub = solve_free(free_instance(inst))
    extra = dict(sub.extra or {})
    extra["pinned"] = len(inst.pinned)
    return build_solution(inst, [*pinned_placements(inst), *sub.placements],
                          seconds=time.perf_counter() - start, optimal=sub.optimal,
                          mechanism=sub.mechanism, extra=extra)
