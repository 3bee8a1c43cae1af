"""The two simple mechanisms the exact solver is compared with (and may be run instead).

Both are serial dictatorships: students take turns, and at their turn each takes, best rank
first, up to k still-open fitting courses that do not clash with what they already hold.
Within a course the emptiest open section is taken, so sections fill evenly.

- :func:`solve_serial_dictatorship` — the turns follow a lottery seeded by ``inst.seed``.
- :func:`solve_first_come` — the turns follow the students' listed order (first come).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable

from .instance import Instance, Student
from .solution import Placement, Solution, build_solution


def solve_serial_dictatorship(inst: Instance) -> Solution:
    if inst.pinned:
        from .pinned import solve_around_pins

        return solve_around_pins(inst, solve_serial_dictatorship)
    order = list(inst.students)
    random.Random(inst.seed).shuffle(order)
    return _serial(inst, order, "lottery")


def solve_first_come(inst: Instance) -> Solution:
    if inst.pinned:
        from .pinned import solve_around_pins

        return solve_around_pins(inst, solve_first_come)
    return _serial(inst, inst.students, "fcfs")


def _serial(inst: Instance, order: Iterable[Student], mechanism: str) -> Solution:
    start = time.perf_counter()
    load = {section_id: 0 for section_id in inst.section_by_id}
    placements = []
    for student in order:
        slots: set[str] = set()
        taken = 0
        for rank, course_id in enumerate(student.preferences, start=1):
            if taken == inst.k:
                break
            best = None
            for section in inst.fitting_sections(student, inst.course_by_id[course_id]):
                if load[section.id] >= section.capacity or slots.intersection(section.slots):
                    continue
                if best is None or load[section.id] < load[best.id]:
                    best = section
            if best is not None:
                load[best.id] += 1
                slots.update(best.slots)
                taken += 1
                placements.append(Placement(student.id, course_id, best.id, rank))
    return build_solution(
        inst, placements, seconds=time.perf_counter() - start, optimal=False,
        mechanism=mechanism,
    )
