"""Homework tutoring groups (作业辅导组) from plain data: no database, no models.

Every attending child, every attending day, lands in one group of at most
``STUDENTS_PER_TUTOR`` (one tutor's worth, ``afterschool.norms``); the arrangement's services
turn the plans into ``HomeworkGroup`` rows and staff them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from afterschool.norms import STUDENTS_PER_TUTOR


@dataclass(frozen=True)
class HomeworkChild:
    id: Hashable
    grade: int
    homeroom: Hashable
    days: frozenset[int]


@dataclass(frozen=True)
class GroupPlan:
    """One homework group of one day: whole homerooms, or one part of a large homeroom."""

    weekday: int
    grade: int
    homerooms: tuple[Hashable, ...]
    students: tuple[Hashable, ...]
    part: int = 1
    parts: int = 1


def group_homework(children: Iterable[HomeworkChild], *,
                   max_size: int = STUDENTS_PER_TUTOR) -> list[GroupPlan]:
    """Each attending child, each attending day, in one group of at most ``max_size``.

    A homeroom that fits in one group stays whole; a larger one is cut into as few, as even
    parts as it needs. Whole homerooms of the same grade share a group when together they fit
    (first fit, largest first), so a grade needs few tutors; grades never mix.
    The result is deterministic: it depends only on the children, not on their order.
    """
    if max_size < 1:
        raise ValueError("max_size must be positive")
    by_day_grade_room: dict[tuple[int, int], dict[Hashable, list]] = defaultdict(
        lambda: defaultdict(list))
    for child in children:
        for day in child.days:
            by_day_grade_room[day, child.grade][child.homeroom].append(child.id)
    plans: list[GroupPlan] = []
    for (day, grade) in sorted(by_day_grade_room):
        rooms = by_day_grade_room[day, grade]
        small: list[tuple[Hashable, list]] = []
        for room in sorted(rooms, key=_sort_key):
            members = sorted(rooms[room], key=_sort_key)
            if len(members) <= max_size:
                small.append((room, members))
                continue
            parts = math.ceil(len(members) / max_size)
            size, extra = divmod(len(members), parts)
            start = 0
            for part in range(parts):
                end = start + size + (1 if part < extra else 0)
                plans.append(GroupPlan(day, grade, (room,), tuple(members[start:end]),
                                       part + 1, parts))
                start = end
        bins: list[list[tuple[Hashable, list]]] = []
        for room, members in sorted(small, key=lambda rm: (-len(rm[1]), _sort_key(rm[0]))):
            for b in bins:
                if sum(len(m) for _, m in b) + len(members) <= max_size:
                    b.append((room, members))
                    break
            else:
                bins.append([(room, members)])
        for b in bins:
            b.sort(key=lambda rm: _sort_key(rm[0]))
            plans.append(GroupPlan(day, grade, tuple(r for r, _ in b),
                                   tuple(s for _, m in b for s in m)))
    plans.sort(key=lambda p: (p.weekday, p.grade, [_sort_key(r) for r in p.homerooms], p.part))
    return plans


def _sort_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))
