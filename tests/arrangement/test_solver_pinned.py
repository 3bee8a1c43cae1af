"""Fixed placements (``pinned``): solving around them is exact, checked against brute force.

The pins are drawn the way the office makes them: from an earlier arrangement (here the
lottery's, which is feasible but usually not optimal, so the rest must be optimised around a
poor start), sometimes moved by hand to a fitting section that is not a preference, and
sometimes a student is pinned with no course at all.
"""

import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrangement.solver import (
    InstanceError,
    check_feasible,
    explain,
    instance_to_dict,
    parse_instance,
    solve,
    solve_serial_dictatorship,
)
from arrangement.solver.cli import main as cli_main
from arrangement.solver.pinned import free_instance

from .test_solver_properties import brute_force, instances


@st.composite
def pinned_instances(draw, ks):
    data = draw(instances(ks=ks))
    inst = parse_instance(data)
    earlier = solve_serial_dictatorship(inst)
    load = Counter(p.section for p in earlier.placements)
    held = {}
    for p in earlier.placements:
        held.setdefault(p.student, []).append(p.section)
    pins = []
    for student in inst.students:
        if not draw(st.booleans()):
            continue
        sections = list(held.get(student.id, []))
        if draw(st.integers(0, 3)) == 0:  # moved by hand: a fitting section with a free seat
            # Outside the preferences when one exists, the case a re-run must not undo.
            moves = [s for c in inst.courses for s in inst.fitting_sections(student, c)
                     if load[s.id] < s.capacity and not sections]
            if moves:
                target = draw(st.sampled_from(moves))
                sections = [target.id]
                load[target.id] += 1
        pins.append({"student": student.id, "sections": sections})
    data = dict(data, pinned=pins)
    return data


def check_pinned(data):
    inst = parse_instance(data)
    forced = {row["student"]: row["sections"] for row in data["pinned"]}
    sol = solve(inst)
    assert check_feasible(inst, sol) == []
    assert sol.optimal
    mine = {}
    for p in sol.placements:
        mine.setdefault(p.student, []).append(p.section)
    for student_id, sections in forced.items():
        assert sorted(mine.get(student_id, [])) == sorted(sections)
    assert sol.objective() == brute_force(data, forced)
    assert solve(inst).placements == sol.placements  # reproducible
    lottery = solve_serial_dictatorship(inst)
    assert check_feasible(inst, lottery) == []
    assert lottery.objective() <= sol.objective()


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pinned_instances(ks=[1]))
def test_pinned_one_course_each_matches_brute_force(data):
    check_pinned(data)


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pinned_instances(ks=[2, 3]))
def test_pinned_several_courses_each_match_brute_force(data):
    check_pinned(data)


def _small(pinned):
    return {
        "format": "afterschool-arrangement/1", "seed": 7,
        "courses": [
            {"id": "ball", "name": "篮球", "grades": [7],
             "sections": [{"id": "ball-1", "capacity": 2, "slots": ["tue-2"]}]},
            {"id": "art", "name": "美术", "grades": [7],
             "sections": [{"id": "art-1", "capacity": 1, "slots": ["wed-2"]}]},
        ],
        "students": [
            {"id": "a", "grade": 7, "days": ["tue", "wed"], "preferences": ["ball", "art"]},
            {"id": "b", "grade": 7, "days": ["tue", "wed"], "preferences": ["ball"]},
            {"id": "c", "grade": 7, "days": ["tue", "wed"], "preferences": ["art", "ball"]},
        ],
        "pinned": pinned,
    }


def test_a_pin_outside_the_preferences_takes_its_seat_and_keeps_rank_zero():
    # b asked only for ball but was put in art by hand: art's one seat is gone, so c (who
    # wanted art first) gets ball; the sentence says the pinned course is not a preference.
    inst = parse_instance(_small([{"student": "b", "sections": ["art-1"]}]))
    sol = solve(inst)
    got = {p.student: (p.section, p.rank) for p in sol.placements}
    assert got == {"a": ("ball-1", 1), "b": ("art-1", 0), "c": ("ball-1", 2)}
    assert sol.by_rank == (1, 1)
    assert sol.placed == 3
    assert "美术（非志愿）" in explain(inst, sol, "b")
    assert "第一志愿美术已满" in explain(inst, sol, "c")


def test_a_student_pinned_without_a_course_stays_unplaced_and_frees_nothing():
    inst = parse_instance(_small([{"student": "a", "sections": []}]))
    sol = solve(inst)
    assert "a" not in {p.student for p in sol.placements}
    assert [u.student for u in sol.unplaced] == ["a"]
    assert {p.student for p in sol.placements} == {"b", "c"}


def test_free_instance_subtracts_the_pinned_seats_and_never_goes_negative():
    data = _small([{"student": "a", "sections": ["ball-1"]},
                   {"student": "b", "sections": ["ball-1"]}])
    data["courses"][0]["sections"][0]["capacity"] = 1  # fuller than a later capacity
    free = free_instance(parse_instance(data))
    assert [s.id for s in free.students] == ["c"]
    assert free.section_by_id["ball-1"].capacity == 0
    assert free.section_by_id["art-1"].capacity == 1
    assert free.pinned == ()


@pytest.mark.parametrize(("pinned", "message"), [
    ([{"student": "x", "sections": []}], "固定安排中的学生 “x” 不在学生名单中"),
    ([{"student": "a", "sections": ["nope"]}], "学生 a 的固定安排 “nope” 不是已有教学班"),
    ([{"student": "a", "sections": []}, {"student": "a", "sections": []}],
     "学生 a 的固定安排重复"),
    ([{"student": "a"}], "学生 a 的固定安排缺少字段 “sections”"),
    ("a", "实例的字段 “pinned” 必须是列表"),
    ([{"sections": []}], "第 1 个固定安排须为含 “student” 的 JSON 对象"),
])
def test_malformed_pins_are_refused_naming_the_offender(pinned, message):
    with pytest.raises(InstanceError) as exc:
        parse_instance(_small(pinned))
    assert str(exc.value) == message


def test_pins_round_trip_through_the_exchange_format_and_the_command_line(tmp_path):
    data = _small([{"student": "b", "sections": ["art-1"]}])
    inst = parse_instance(data)
    assert instance_to_dict(inst)["pinned"] == data["pinned"]
    assert "pinned" not in instance_to_dict(parse_instance(_small([])))
    path = tmp_path / "pinned.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    import io

    out, err = io.StringIO(), io.StringIO()
    assert cli_main([str(path)], None, out, err) == 0
    placements = json.loads(out.getvalue())["placements"]
    assert {"student": "b", "course": "art", "section": "art-1", "rank": 0} in placements
