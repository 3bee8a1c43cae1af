"""Tutor assignment: small cases by hand, brute force on tiny ones, properties on random ones."""

import itertools
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import staffing
from courses.staffing import EXTERNAL, INTERNAL, Tutor, Unit, assign_tutors, tutors_needed


def tutor(tid, days=(1, 2, 3, 4), subjects=(), external=False, max_load=8, **kw):
    return Tutor(id=tid, weekdays=frozenset(days), subjects=frozenset(subjects),
                 is_external=external, max_load=max_load, **kw)


@pytest.mark.parametrize("students,needed", [(0, 1), (1, 1), (25, 1), (26, 2), (50, 2), (51, 3)])
def test_one_tutor_per_25_students(students, needed):
    assert tutors_needed(students) == needed


def test_subject_and_kind_decide_who_may_take_a_unit():
    units = [Unit("篮球", ((2, 2),), subject="篮球", kind=EXTERNAL),
             Unit("美术", ((2, 2),), subject="美术", kind=INTERNAL)]
    tutors = [tutor("赵", subjects={"美术"}), tutor("钱", subjects={"篮球"}, external=True),
              tutor("孙", subjects={"篮球"})]
    result = assign_tutors(units, tutors)
    assert result.assignments == {"篮球": ("钱",), "美术": ("赵",)}
    assert result.unstaffed == []
    assert result.status == "optimal"


def test_subject_matching_ignores_case_and_spaces():
    result = assign_tutors([Unit(1, ((1, 1),), subject=" 3D打印 ")],
                           [tutor("a", subjects={"3d打印"})])
    assert result.assignments[1] == ("a",)


def test_a_missing_subject_teacher_is_reported_in_chinese():
    result = assign_tutors([Unit("u", ((2, 2),), subject="篮球")], [tutor("a", subjects={"美术"})])
    [gap] = result.unstaffed
    assert gap.unit_id == "u" and gap.missing == 1
    assert gap.reason == "无可用的篮球教师（周二第2节）：学校没有任教篮球的教师"


def test_availability_is_respected_and_explained():
    units = [Unit("u", ((2, 2), (4, 2)), subject="篮球")]
    result = assign_tutors(units, [tutor("a", days=(1, 2, 3), subjects={"篮球"})])
    assert result.assignments["u"] == ()
    assert result.unstaffed[0].reason == (
        "无可用的篮球教师（周二第2节、周四第2节）：任教篮球的教师周二、周四均不能服务")


def test_external_only_unit_is_never_given_an_internal_tutor():
    result = assign_tutors([Unit("u", ((1, 1),), kind=EXTERNAL)], [tutor("internal")])
    assert result.assignments["u"] == ()
    assert result.unstaffed[0].reason.startswith("无可用的校外教师（周一第1节）")


def test_no_tutor_in_two_places_at_once():
    units = [Unit(1, ((2, 2),)), Unit(2, ((2, 2),))]
    result = assign_tutors(units, [tutor("a")])
    staffed = [u for u, ts in result.assignments.items() if ts]
    assert len(staffed) == 1
    [gap] = result.unstaffed
    assert "已分配到同一时段的其他教学班" in gap.reason


def test_a_unit_with_k_slots_costs_k_lessons():
    result = assign_tutors([Unit("u", ((1, 1), (2, 1), (3, 1)))], [tutor("a", max_load=2)])
    assert result.assignments["u"] == ()
    assert result.unstaffed[0].reason.endswith("已达每周最多课次")
    result = assign_tutors([Unit("u", ((1, 1), (2, 1), (3, 1)))], [tutor("a", max_load=3)])
    assert result.loads == {"a": 3}


def test_already_assigned_tutors_stay_and_block_their_slots():
    units = [Unit("kept", ((2, 2),), assigned=("a",)), Unit("new", ((2, 2),))]
    result = assign_tutors(units, [tutor("a"), tutor("b")])
    assert result.assignments == {"kept": ("a",), "new": ("b",)}
    assert result.added == {"new": ("b",)}
    assert result.loads == {"a": 1, "b": 1}


def test_busy_slots_and_base_load_from_elsewhere_count():
    units = [Unit("u", ((1, 3),))]
    assert assign_tutors(units, [tutor("a", busy=frozenset({(1, 3)}))]).assignments["u"] == ()
    assert assign_tutors(units, [tutor("a", max_load=2, base_load=2)]).assignments["u"] == ()
    assert assign_tutors(units, [tutor("a", max_load=3, base_load=2)]).loads == {"a": 3}


def test_a_unit_whose_only_subject_teacher_is_already_on_it_says_so():
    result = assign_tutors([Unit("u", ((1, 1),), subject="美术", needed=2, assigned=("a",))],
                           [tutor("a", subjects={"美术"})])
    assert result.unstaffed[0].reason == (
        "无可用的美术教师（周一第1节）：除已在本教学班的教师外，学校没有其他任教美术的教师")


def test_a_big_unit_gets_several_tutors_and_reports_how_many_are_missing():
    result = assign_tutors([Unit("u", ((1, 1),), needed=tutors_needed(60))],
                           [tutor("a"), tutor("b")])
    assert set(result.assignments["u"]) == {"a", "b"}
    assert result.unstaffed[0].missing == 1


def test_load_is_spread_evenly():
    units = [Unit(i, ((d, p),)) for i, (d, p) in enumerate(itertools.product((1, 2), (1, 2)))]
    result = assign_tutors(units, [tutor("a"), tutor("b")])
    assert result.loads == {"a": 2, "b": 2}
    assert result.max_load == 2 and result.spread == 0


def test_then_the_spread_is_smallest():
    # Twelve lessons for seven tutors: at most 2 each, and then nobody left with none.
    slots = itertools.product((1, 2, 3, 4), (1, 2, 3))
    units = [Unit(i, (slot,)) for i, slot in enumerate(slots)]
    for seed in range(4):
        result = assign_tutors(units, [tutor(j) for j in range(7)], seed=seed)
        assert sorted(result.loads.values()) == [1, 1, 2, 2, 2, 2, 2]
        assert result.spread == 1


def test_staffing_comes_before_an_even_load():
    # "a" alone can take the two-slot unit; giving it the singles instead would leave it empty.
    units = [Unit("double", ((1, 1), (2, 1)), subject="书法"), Unit("s1", ((3, 1),)),
             Unit("s2", ((4, 1),))]
    result = assign_tutors(units, [tutor("a", subjects={"书法"}), tutor("b")])
    assert result.unstaffed == []
    assert result.assignments["double"] == ("a",)
    assert result.loads == {"a": 2, "b": 2}


def test_unknown_ids_and_bad_input_are_refused():
    with pytest.raises(ValueError):
        assign_tutors([Unit(1, ()), Unit(1, ())], [])
    with pytest.raises(ValueError):
        assign_tutors([], [tutor("a"), tutor("a")])
    with pytest.raises(ValueError):
        Unit(1, ((8, 1),))
    with pytest.raises(ValueError):
        Unit(1, ((1, 1),), kind="volunteer")


def test_a_fixed_tutor_who_is_not_in_the_list_is_kept_but_not_counted():
    result = assign_tutors([Unit("u", ((1, 1),), assigned=("gone",))], [tutor("a")])
    assert result.assignments["u"] == ("gone",)
    assert result.loads == {"a": 0}


def test_nothing_to_do_is_fine():
    result = assign_tutors([], [])
    assert result.assignments == {} and result.unstaffed == [] and result.max_load == 0


def test_same_seed_same_answer():
    units, tutors = random_instance(random.Random(3), n_units=40, n_tutors=15)
    first = assign_tutors(units, tutors, seed=7)
    assert assign_tutors(units, tutors, seed=7).assignments == first.assignments


# ---------------------------------------------------------------- random instances

SUBJECTS = ["篮球", "美术", "书法"]


def random_instance(r: random.Random, *, n_units, n_tutors, days=4, periods=3):
    slots = [(d, p) for d in range(1, days + 1) for p in range(1, periods + 1)]
    units = []
    for i in range(n_units):
        first = r.choice(slots)
        chosen = {first}
        if r.random() < 0.3:
            chosen.add((r.choice([d for d in range(1, days + 1) if d != first[0]] or [1]),
                        first[1]))
        units.append(Unit(i, tuple(sorted(chosen)), subject=r.choice(SUBJECTS + [None] * 3),
                          kind=r.choice(["any"] * 4 + [INTERNAL, EXTERNAL]),
                          needed=r.choice([1, 1, 2])))
    tutors = [tutor(f"t{j}", days=[d for d in range(1, days + 1) if r.random() < 0.8] or [1],
                    subjects=set(r.sample(SUBJECTS, r.randint(0, 2))),
                    external=r.random() < 0.2, max_load=r.randint(1, 4))
              for j in range(n_tutors)]
    return units, tutors


def check_feasible(units, tutors, result):
    """Every added tutor may take the unit; nobody is double-booked or over their maximum."""
    by_id = {t.id: t for t in tutors}
    taken = {t.id: set() for t in tutors}
    load = {t.id: 0 for t in tutors}
    for unit in units:
        assert result.assignments[unit.id][:len(unit.assigned)] == unit.assigned
        added = result.added.get(unit.id, ())
        assert len(set(added)) == len(added)
        assert len(unit.assigned) + len(added) <= max(unit.needed, len(unit.assigned))
        for tid in unit.assigned + added:
            assert not taken[tid] & unit.slot_set, f"{tid} double-booked"
            taken[tid] |= unit.slot_set
            load[tid] += unit.load
        for tid in added:
            t = by_id[tid]
            assert {d for d, _ in unit.slots} <= t.weekdays
            assert staffing._subject_fits(unit, t) and staffing._kind_fits(unit, t)
    for tid, value in load.items():
        assert value <= by_id[tid].max_load
    assert result.loads == load
    missing = {u.id: u.needed - len(result.assignments[u.id]) for u in units}
    assert {g.unit_id: g.missing for g in result.unstaffed} == {
        k: v for k, v in missing.items() if v > 0}
    assert all(g.reason.startswith("无可用的") for g in result.unstaffed)


def brute_force(units, tutors):
    """(staffed, -highest, lowest) of the best assignment, by trying every one."""
    pool_pairs = [(u, t) for u in units for t in tutors
                  if staffing._kind_fits(u, t) and staffing._subject_fits(u, t)
                  and staffing._days_fit(u, t) and u.load <= t.max_load]
    pool = {t.id for _, t in pool_pairs}
    best = None
    for mask in range(1 << len(pool_pairs)):
        chosen = [p for i, p in enumerate(pool_pairs) if mask >> i & 1]
        per_unit, taken, load = {}, {t.id: set() for t in tutors}, {t.id: 0 for t in tutors}
        ok = True
        for u, t in chosen:
            per_unit[u.id] = per_unit.get(u.id, 0) + 1
            if per_unit[u.id] > u.needed or taken[t.id] & u.slot_set:
                ok = False
                break
            taken[t.id] |= u.slot_set
            load[t.id] += u.load
            if load[t.id] > t.max_load:
                ok = False
                break
        if not ok:
            continue
        key = (len(chosen), -max(load.values(), default=0),
               min((load[t] for t in pool), default=0))
        best = key if best is None or key > best else best
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 3))
def test_optimal_on_tiny_instances(seed, n_units, n_tutors):
    units, tutors = random_instance(random.Random(seed), n_units=n_units, n_tutors=n_tutors,
                                    days=2, periods=2)
    units = [Unit(u.id, u.slots, u.subject, u.kind, min(u.needed, 1)) for u in units]
    if len(units) * len(tutors) > 12:
        units = units[:12 // len(tutors)]
    result = assign_tutors(units, tutors)
    check_feasible(units, tutors, result)
    staffed = sum(len(v) for v in result.added.values())
    pool = [result.loads[t] for t in result.pool] or [0]
    assert (staffed, -result.max_load, min(pool)) == brute_force(units, tutors)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(0, 25), st.integers(0, 10), st.booleans())
def test_every_assignment_is_feasible(seed, n_units, n_tutors, with_fixed):
    r = random.Random(seed)
    units, tutors = random_instance(r, n_units=n_units, n_tutors=n_tutors)
    if with_fixed and units:
        # Keep part of a first answer fixed: the second run must build on it.
        first = assign_tutors(units, tutors, seed=seed)
        units = [Unit(u.id, u.slots, u.subject, u.kind, u.needed,
                      assigned=first.assignments[u.id][:1] if r.random() < 0.5 else ())
                 for u in units]
    result = assign_tutors(units, tutors, seed=seed)
    check_feasible(units, tutors, result)


def test_stage_by_stage_path_finds_the_same_optimum(monkeypatch):
    units, tutors = random_instance(random.Random(11), n_units=30, n_tutors=10)
    quick = assign_tutors(units, tutors)
    monkeypatch.setattr(staffing, "_solve_at_bounds", lambda *a, **kw: None)
    staged = assign_tutors(units, tutors)
    check_feasible(units, tutors, staged)
    assert staged.status == quick.status == "optimal"
    assert (sum(map(len, staged.added.values())), staged.max_load, staged.spread) == (
        sum(map(len, quick.added.values())), quick.max_load, quick.spread)


def test_200_units_and_70_tutors_in_a_couple_of_seconds():
    r = random.Random(2024)
    subjects = ["语文", "数学", "英语", "美术", "音乐", "体育", "篮球", "科学", "书法", "信息"]
    units = []
    for i in range(200):
        day, period = r.randint(1, 4), r.randint(1, 3)
        slots = [(day, period)]
        if r.random() < 0.3:
            slots.append((r.choice([d for d in range(1, 5) if d != day]), period))
        units.append(Unit(i, tuple(slots), subject=r.choice(subjects + [None] * 6),
                          kind=r.choice(["any"] * 8 + [INTERNAL, EXTERNAL]),
                          needed=r.choice([1, 1, 1, 2])))
    tutors = [tutor(j, days=[d for d in range(1, 5) if r.random() < 0.8] or [1],
                    subjects=set(r.sample(subjects, 2)), external=r.random() < 0.15,
                    max_load=r.choice([6, 8, 10])) for j in range(70)]
    started = time.process_time()
    result = assign_tutors(units, tutors, time_limit=30)
    spent = time.process_time() - started
    check_feasible(units, tutors, result)
    assert result.status == "optimal"
    # Processor time, not wall time: other jobs on the machine must not fail the test.
    assert spent < 5, f"{spent:.1f} s"
