"""Homework-tutoring groups: the pure grouping function on plain data."""

import random
from collections import Counter

import pytest

from afterschool.norms import STUDENTS_PER_TUTOR as GROUP_SIZE
from arrangement.grouping import HomeworkChild, group_homework, week_groups


def _children(sizes: dict, days=frozenset({1, 2, 3, 4}), start=0):
    """sizes: {(grade, homeroom): n}"""
    out, n = [], start
    for (grade, room), count in sizes.items():
        for _ in range(count):
            out.append(HomeworkChild(id=n, grade=grade, homeroom=room, days=days))
            n += 1
    return out


def _check_cover(children, plans):
    seen = Counter()
    for p in plans:
        for s in p.students:
            seen[s, p.weekday] += 1
    wanted = Counter((c.id, d) for c in children for d in c.days)
    assert seen == wanted  # every child, every attending day, exactly once


def _check_stable(children, plans):
    """Every child meets the same classmates on every day they both come."""
    days_of = {c.id: c.days for c in children}
    group_of = {}
    for p in plans:
        key = (p.week_homerooms, p.part)
        for s in p.students:
            assert group_of.setdefault(s, key) == key
    by_day = {(p.weekday, s): set(p.students) for p in plans for s in p.students}
    for c in children:
        for d1 in c.days:
            for d2 in c.days:
                both = {s for s in by_day[d1, c.id] if d2 in days_of[s]}
                assert both == {s for s in by_day[d2, c.id] if d1 in days_of[s]}


def test_small_homerooms_of_a_grade_are_merged_whole():
    children = _children({(7, "7-1"): 10, (7, "7-2"): 8, (7, "7-3"): 20, (8, "8-1"): 4},
                         days=frozenset({1}))
    plans = group_homework(children)
    _check_cover(children, plans)
    rooms = sorted(p.homerooms for p in plans)
    # 20 + 8 > 25 and 20 + 10 > 25, so 7-3 stays alone; 7-1 and 7-2 share; grade 8 alone.
    assert rooms == [("7-1", "7-2"), ("7-3",), ("8-1",)]
    assert all(len(p.students) <= GROUP_SIZE for p in plans)


def test_large_homeroom_is_split_evenly_and_never_mixed():
    children = _children({(7, "7-1"): 52, (7, "7-2"): 3}, days=frozenset({2}))
    plans = group_homework(children)
    _check_cover(children, plans)
    big = [p for p in plans if p.homerooms == ("7-1",)]
    assert [len(p.students) for p in big] == [18, 17, 17]
    assert [(p.part, p.parts) for p in big] == [(1, 3), (2, 3), (3, 3)]
    assert [p.homerooms for p in plans if p not in big] == [("7-2",)]


def test_grades_never_share_a_group():
    children = _children({(7, "7-1"): 3, (8, "8-1"): 3, (9, "9-1"): 3}, days=frozenset({1}))
    plans = group_homework(children)
    assert len(plans) == 3
    grade_of = {c.id: c.grade for c in children}
    for p in plans:
        assert {grade_of[s] for s in p.students} == {p.grade}


def test_days_are_grouped_separately():
    a = HomeworkChild(id=1, grade=7, homeroom="7-1", days=frozenset({1, 3}))
    b = HomeworkChild(id=2, grade=7, homeroom="7-1", days=frozenset({3}))
    plans = group_homework([a, b])
    assert [(p.weekday, p.students) for p in plans] == [(1, (1,)), (3, (1, 2))]


@pytest.mark.parametrize("seed", range(20))
def test_properties_on_random_schools(seed):
    rng = random.Random(seed)
    sizes = {(g, f"{g}-{r}"): rng.randint(0, 60) for g in (7, 8, 9) for r in range(1, 7)}
    children = []
    n = 0
    for (grade, room), count in sizes.items():
        for _ in range(count):
            days = frozenset(d for d in (1, 2, 3, 4) if rng.random() < 0.8)
            children.append(HomeworkChild(id=n, grade=grade, homeroom=room, days=days))
            n += 1
    plans = group_homework(children)
    _check_cover(children, plans)
    room_of = {c.id: c.homeroom for c in children}
    for p in plans:
        assert 1 <= len(p.students) <= GROUP_SIZE
        assert {room_of[s] for s in p.students} == set(p.homerooms)
        assert len({r.split("-")[0] for r in p.homerooms}) == 1
    # A homeroom whose busiest day fits is in exactly one group each day it comes.
    per_day_room = Counter()
    day_room_size = Counter((d, c.homeroom) for c in children for d in c.days)
    peak = Counter()
    for (_day, room), size in day_room_size.items():
        peak[room] = max(peak[room], size)
    for p in plans:
        for r in p.homerooms:
            per_day_room[p.weekday, r] += 1
    for (d, room), size in day_room_size.items():
        if peak[room] <= GROUP_SIZE:
            assert per_day_room[d, room] == 1
        else:
            assert per_day_room[d, room] >= -(-size // GROUP_SIZE)
    _check_stable(children, plans)
    # Same input in another order, same groups.
    shuffled = list(children)
    rng.shuffle(shuffled)
    assert group_homework(shuffled) == plans


def test_the_same_classmates_every_day_although_attendance_differs_by_day():
    # Per day, 7-1 would best pair with 7-3 on Monday and with 7-2 on Tuesday; the week's
    # groups keep each homeroom with the same homerooms on every day instead.
    children = (
        [HomeworkChild(id=i, grade=7, homeroom="7-1", days=frozenset({1, 2, 3, 4}))
         for i in range(10)]
        + [HomeworkChild(id=100 + i, grade=7, homeroom="7-2", days=frozenset({1}))
           for i in range(20)]
        + [HomeworkChild(id=200 + i, grade=7, homeroom="7-3", days=frozenset({2, 3}))
           for i in range(14)]
        + [HomeworkChild(id=300 + i, grade=7, homeroom="7-4", days=frozenset({2, 3, 4}))
           for i in range(8)])
    plans = group_homework(children)
    _check_cover(children, plans)
    _check_stable(children, plans)
    assert all(len(p.students) <= GROUP_SIZE for p in plans)
    seven_one = {p.weekday: p.week_homerooms for p in plans if "7-1" in p.homerooms}
    assert sorted(seven_one) == [1, 2, 3, 4]
    assert len(set(seven_one.values())) == 1
    assert {g.homerooms for g in week_groups(children)} == {p.week_homerooms for p in plans}


def test_a_large_homeroom_keeps_its_parts_all_week():
    # 40 children, 30 on Monday and 30 on Tuesday: two parts, the same two every day.
    children = [HomeworkChild(id=i, grade=7, homeroom="7-1",
                              days=frozenset({1, 2}) if i < 20 else
                              frozenset({1}) if i < 30 else frozenset({2}))
                for i in range(40)]
    plans = group_homework(children)
    _check_cover(children, plans)
    _check_stable(children, plans)
    assert {(p.part, p.parts) for p in plans} == {(1, 2), (2, 2)}
    assert all(len(p.students) <= GROUP_SIZE for p in plans)
