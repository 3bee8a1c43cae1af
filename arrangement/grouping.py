"""Homework tutoring groups (作业辅导组) from plain data: no database, no models.

Every attending child, every attending day, lands in one group of at most
``STUDENTS_PER_TUTOR`` (one tutor's worth, ``afterschool.norms``); the arrangement's services
turn the plans into ``HomeworkGroup`` rows and staff them.

The groups hold for the whole week: a child meets the same classmates every day they come —
their homeroom, the same few small homerooms merged, or the same part of a large homeroom — so
the grouping is decided once per week (:func:`week_groups`) and each day's group is the week
group's children who come that day (:func:`group_homework`). Only the tutor may differ by day.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
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
class WeekGroup:
    """One homework group for the week: whole homerooms, or one part of a large homeroom."""

    grade: int
    homerooms: tuple[Hashable, ...]
    # Every child of the group, whichever days they come.
    students: tuple[Hashable, ...]
    part: int = 1
    parts: int = 1


@dataclass(frozen=True)
class GroupPlan:
    """One homework group of one day: the children of a week group who come that day."""

    weekday: int
    grade: int
    # The homerooms with a child in the group that day.
    homerooms: tuple[Hashable, ...]
    students: tuple[Hashable, ...]
    part: int = 1
    parts: int = 1
    # The week group's homerooms, which name the group on every day.
    week_homerooms: tuple[Hashable, ...] = ()


def week_groups(children: Iterable[HomeworkChild], *,
                max_size: int = STUDENTS_PER_TUTOR) -> list[WeekGroup]:
    """The week's groups: on no day does a group hold more than ``max_size`` children.

    A homeroom whose busiest day fits in one group stays whole; a larger one is cut into as
    few parts as its busiest day needs (consecutive children when that fits every day, else
    balanced day by day). Whole homerooms of the same grade share a group when their children
    fit together on every day (first fit, busiest first), so a grade needs few tutors; grades
    never mix. Deterministic: it depends only on the children, not on their order.
    """
    if max_size < 1:
        raise ValueError("max_size must be positive")
    by_grade_room: dict[int, dict[Hashable, list[HomeworkChild]]] = defaultdict(
        lambda: defaultdict(list))
    for child in children:
        if child.days:
            by_grade_room[child.grade][child.homeroom].append(child)
    groups: list[WeekGroup] = []
    for grade in sorted(by_grade_room):
        rooms = by_grade_room[grade]
        whole: list[tuple[Hashable, list[HomeworkChild], Counter]] = []
        for room in sorted(rooms, key=_sort_key):
            members = sorted(rooms[room], key=lambda c: _sort_key(c.id))
            daily = Counter(d for c in members for d in c.days)
            if max(daily.values()) <= max_size:
                whole.append((room, members, daily))
                continue
            parts = _split(members, max_size)
            groups.extend(WeekGroup(grade, (room,), tuple(c.id for c in part), i + 1, len(parts))
                          for i, part in enumerate(parts))
        bins: list[tuple[list, Counter]] = []
        for room, members, daily in sorted(
                whole, key=lambda r: (-max(r[2].values()), -len(r[1]), _sort_key(r[0]))):
            for rooms_in, load in bins:
                if all(load[d] + n <= max_size for d, n in daily.items()):
                    rooms_in.append((room, members))
                    load.update(daily)
                    break
            else:
                bins.append(([(room, members)], Counter(daily)))
        for rooms_in, _ in bins:
            rooms_in.sort(key=lambda rm: _sort_key(rm[0]))
            groups.append(WeekGroup(grade, tuple(r for r, _ in rooms_in),
                                    tuple(c.id for _, m in rooms_in for c in m)))
    groups.sort(key=lambda g: (g.grade, [_sort_key(r) for r in g.homerooms], g.part))
    return groups


def group_homework(children: Iterable[HomeworkChild], *,
                   max_size: int = STUDENTS_PER_TUTOR) -> list[GroupPlan]:
    """Each attending child, each attending day, in their week group's group of that day."""
    children = list(children)
    days_of = {c.id: c.days for c in children}
    room_of = {c.id: c.homeroom for c in children}
    plans = []
    for group in week_groups(children, max_size=max_size):
        for day in sorted({d for s in group.students for d in days_of[s]}):
            students = tuple(s for s in group.students if day in days_of[s])
            present = {room_of[s] for s in students}
            plans.append(GroupPlan(day, group.grade,
                                   tuple(r for r in group.homerooms if r in present), students,
                                   group.part, group.parts, group.homerooms))
    plans.sort(key=lambda p: (p.weekday, p.grade, [_sort_key(r) for r in p.homerooms], p.part))
    return plans


def _split(members: list[HomeworkChild], max_size: int) -> list[list[HomeworkChild]]:
    """A large homeroom in the fewest parts whose every day fits ``max_size``."""
    peak = max(Counter(d for c in members for d in c.days).values())
    parts = math.ceil(peak / max_size)
    while True:
        # Consecutive, as even as can be: 1–18, 19–35, 36–52 of the homeroom's list.
        size, extra = divmod(len(members), parts)
        chunks, start = [], 0
        for i in range(parts):
            end = start + size + (1 if i < extra else 0)
            chunks.append(members[start:end])
            start = end
        if all(_fits(chunk, max_size) for chunk in chunks):
            return chunks
        balanced = _balance(members, parts, max_size)
        if balanced is not None:
            return balanced
        parts += 1


def _fits(children: list[HomeworkChild], max_size: int) -> bool:
    return max(Counter(d for c in children for d in c.days).values(), default=0) <= max_size


def _balance(members: list[HomeworkChild], parts: int,
             max_size: int) -> list[list[HomeworkChild]] | None:
    """Children who come most days first, each into the part least full on their days."""
    chosen: list[list[HomeworkChild]] = [[] for _ in range(parts)]
    loads = [Counter() for _ in range(parts)]
    for child in sorted(members, key=lambda c: (-len(c.days), _sort_key(c.id))):
        fitting = [i for i in range(parts) if all(loads[i][d] < max_size for d in child.days)]
        if not fitting:
            return None
        best = min(fitting, key=lambda i: (max(loads[i][d] for d in child.days),
                                           sum(loads[i].values()), i))
        chosen[best].append(child)
        loads[best].update(child.days)
    for part in chosen:
        part.sort(key=lambda c: _sort_key(c.id))
    chosen.sort(key=lambda part: _sort_key(part[0].id) if part else (2, 0, ""))
    return [part for part in chosen if part]


def _sort_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))
