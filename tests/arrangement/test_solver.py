"""The arrangement solver on the shared examples and on hand-made cases (pure pytest, no DB)."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from arrangement.solver import (
    Instance,
    Placement,
    check_feasible,
    explain,
    instance_to_dict,
    parse_instance,
    solution_from_dict,
    solve,
    solve_first_come,
    solve_serial_dictatorship,
)

# A copy of the exchange format's examples, kept in the repository (data/FORMAT.md describes them).
EXAMPLES = Path(__file__).resolve().parent / "data" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def padded(vector, length):
    return tuple(vector) + (0,) * (length - len(vector))


def test_examples_are_present():
    assert len(EXAMPLE_FILES) >= 4, f"examples missing from {EXAMPLES}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_reaches_expected_optimum(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    inst = parse_instance(data)
    sol = solve(inst)
    expected = tuple(data["expected"])
    n = max(len(expected), 1 + inst.max_rank)
    assert padded(sol.objective(), n) == padded(expected, n)
    assert check_feasible(inst, sol) == []
    assert sol.optimal is True
    for mechanism in (solve_serial_dictatorship, solve_first_come):
        other = mechanism(inst)
        assert check_feasible(inst, other) == []
        assert other.objective() <= sol.objective()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_round_trips_through_the_exchange_format(path):
    inst = parse_instance(json.loads(path.read_text(encoding="utf-8")))
    assert parse_instance(instance_to_dict(inst)) == inst
    sol = solve(inst)
    again = solution_from_dict(json.loads(json.dumps(sol.to_dict(), ensure_ascii=False)))
    assert again.placements == sol.placements
    assert again.objective() == sol.objective()


def tiny() -> Instance:
    return parse_instance({
        "format": "afterschool-arrangement/1",
        "seed": 1,
        "max_courses_per_student": 1,
        "courses": [
            {"id": "basketball", "grades": [7],
             "sections": [{"id": "basketball-1", "capacity": 1, "slots": ["tue-2"]}]},
            {"id": "calligraphy", "grades": [7, 8],
             "sections": [{"id": "calligraphy-1", "capacity": 1, "slots": ["wed-2"]}]},
            {"id": "robotics", "grades": [8],
             "sections": [{"id": "robotics-1", "capacity": 2, "slots": ["thu-2"]}]},
            {"id": "chess", "grades": [7], "sections": []},
        ],
        "students": [
            {"id": "A", "grade": 7, "days": ["mon", "tue", "wed", "thu"],
             "preferences": ["basketball", "calligraphy"]},
            {"id": "B", "grade": 7, "days": ["tue"], "preferences": ["basketball"]},
            {"id": "C", "grade": 8, "days": ["wed", "thu"],
             "preferences": ["calligraphy", "robotics"]},
            {"id": "D", "grade": 7, "days": ["thu"], "preferences": ["robotics"]},
            {"id": "E", "grade": 8, "days": ["mon"], "preferences": []},
            {"id": "F", "grade": 8, "days": ["mon"], "preferences": ["robotics"]},
            {"id": "G", "grade": 7, "days": ["mon"], "preferences": ["chess"]},
            {"id": "H", "grade": 7, "days": ["tue"], "preferences": ["calligraphy", "robotics"]},
            {"id": "I", "grade": 7, "days": ["wed"], "preferences": ["basketball"]},
        ],
    })


def test_rule_one_before_first_choices():
    sol = solve(tiny())
    placed = {p.student: (p.course, p.rank) for p in sol.placements}
    assert placed == {"A": ("calligraphy", 2), "B": ("basketball", 1),
                      "C": ("robotics", 2)}
    assert sol.objective() == (3, 1, 2)
    assert sol.optimal


def test_unplaced_reasons_are_specific():
    sol = solve(tiny())
    reasons = {u.student: (u.code, u.reason) for u in sol.unplaced}
    assert reasons["D"] == ("grade", "所报课程均不面向该年级")
    assert reasons["E"] == ("no_preferences", "未填写志愿")
    assert reasons["F"] == ("days", "所报课程的上课日与孩子参加的日期不符")
    assert reasons["G"] == ("not_offered", "所报课程本学期均未开设")
    assert reasons["H"] == ("unfit", "所报课程有的不面向该年级，有的上课日与孩子参加的日期不符")
    assert reasons["I"] == ("days", "所报课程的上课日与孩子参加的日期不符")


def test_full_courses_are_named_as_such():
    inst = parse_instance({
        "format": "afterschool-arrangement/1",
        "courses": [{"id": "x", "grades": [1],
                     "sections": [{"id": "x-1", "capacity": 1, "slots": ["mon-1"]}]},
                    {"id": "y", "grades": [2],
                     "sections": [{"id": "y-1", "capacity": 1, "slots": ["mon-1"]}]}],
        "students": [{"id": "s1", "grade": 1, "days": ["mon"], "preferences": ["x"]},
                     {"id": "s2", "grade": 1, "days": ["mon"], "preferences": ["x"]},
                     {"id": "s3", "grade": 1, "days": ["mon"], "preferences": ["x", "y"]}],
    })
    sol = solve(inst)
    reasons = {u.student: (u.code, u.reason) for u in sol.unplaced}
    assert sorted(reasons) == ["s2", "s3"] or sorted(reasons) == ["s1", "s3"] or sorted(
        reasons) == ["s1", "s2"]
    assert reasons.get("s3", ("full", "能参加的志愿课程均已满（其余志愿不面向该年级）")) == (
        "full", "能参加的志愿课程均已满（其余志愿不面向该年级）")
    for code, reason in reasons.values():
        assert code == "full"
        assert "已满" in reason


def test_explain_names_the_choices_missed_and_given():
    inst = tiny()
    sol = solve(inst)
    assert explain(inst, sol, "A") == "第一志愿basketball已满，已安排第二志愿calligraphy"
    assert explain(inst, sol, "B") == "已安排第一志愿basketball"
    assert explain(inst, sol, "A", names={"basketball": "篮球", "calligraphy": "书法"}) == (
        "第一志愿篮球已满，已安排第二志愿书法")
    assert explain(inst, sol, "D") == "未安排：所报课程均不面向该年级"


def test_same_seed_same_solution_and_seed_is_the_lottery():
    base = {
        "format": "afterschool-arrangement/1",
        "courses": [{"id": "x", "grades": [1],
                     "sections": [{"id": "x-1", "capacity": 3, "slots": ["mon-1"]},
                                  {"id": "x-2", "capacity": 3, "slots": ["tue-1"]}]}],
        "students": [{"id": f"s{i}", "grade": 1, "days": ["mon", "tue"], "preferences": ["x"]}
                     for i in range(8)],
    }
    outcomes = set()
    for seed in range(12):
        inst = parse_instance({**base, "seed": seed})
        first, second = solve(inst), solve(inst)
        assert first.placements == second.placements
        assert first.objective() == (6, 6)
        sizes = sorted(sum(p.section == s for p in first.placements) for s in ("x-1", "x-2"))
        assert sizes == [3, 3]  # rule 3: even sections
        outcomes.add(frozenset((p.student, p.section) for p in first.placements))
    assert len(outcomes) > 1  # the seed decides among ties


def test_sections_as_even_as_the_days_allow():
    students = [{"id": f"m{i}", "grade": 1, "days": ["mon"], "preferences": ["x"]}
                for i in range(4)]
    students += [{"id": f"b{i}", "grade": 1, "days": ["mon", "tue"], "preferences": ["x"]}
                 for i in range(6)]
    inst = parse_instance({
        "format": "afterschool-arrangement/1",
        "courses": [{"id": "x", "grades": [1],
                     "sections": [{"id": "mon", "capacity": 25, "slots": ["mon-1"]},
                                  {"id": "tue", "capacity": 25, "slots": ["tue-1"]}]}],
        "students": students,
    })
    sol = solve(inst)
    sizes = {s: sum(p.section == s for p in sol.placements) for s in ("mon", "tue")}
    assert sizes == {"mon": 5, "tue": 5}
    assert all(p.section == "mon" for p in sol.placements if p.student.startswith("m"))


def two_course_instance(k):
    return parse_instance({
        "format": "afterschool-arrangement/1",
        "seed": 3,
        "max_courses_per_student": k,
        "courses": [
            {"id": "a", "grades": [1], "sections": [
                {"id": "a-1", "capacity": 2, "slots": ["mon-1"]},
                {"id": "a-2", "capacity": 2, "slots": ["tue-1"]}]},
            {"id": "b", "grades": [1], "sections": [
                {"id": "b-1", "capacity": 2, "slots": ["mon-1"]}]},
            {"id": "c", "grades": [1], "sections": [
                {"id": "c-1", "capacity": 2, "slots": ["mon-1", "tue-1"]}]},
        ],
        "students": [
            {"id": "s1", "grade": 1, "days": ["mon", "tue"], "preferences": ["a", "b", "c"]},
            {"id": "s2", "grade": 1, "days": ["mon", "tue"], "preferences": ["b", "a"]},
            {"id": "s3", "grade": 1, "days": ["mon"], "preferences": ["a", "b"]},
        ],
    })


def test_two_courses_never_share_a_slot():
    inst = two_course_instance(2)
    sol = solve(inst)
    assert check_feasible(inst, sol) == []
    assert sol.optimal
    # s1: a (tue) + b (mon); s2: b (mon) + a (tue); s3: a (mon) only, b is full.
    assert sol.objective() == (3, 3, 2, 0)
    text = explain(inst, sol, "s3")
    assert text.startswith("已安排第一志愿a")


def test_three_courses_that_never_fit_together():
    """Three courses pairwise compatible but not all three together: the first relaxation
    gives three, the truth is two (a cut "at most two of a, b, c" fixes the relaxation)."""
    slots = [["mon-1"], ["mon-2"]]
    inst = parse_instance({
        "format": "afterschool-arrangement/1",
        "max_courses_per_student": 3,
        "courses": [
            {"id": c, "grades": [1], "sections": [
                {"id": f"{c}-{i}", "capacity": 1, "slots": s} for i, s in enumerate(slots)]}
            for c in ("a", "b", "c")
        ],
        "students": [{"id": "s", "grade": 1, "days": ["mon"], "preferences": ["a", "b", "c"]}],
    })
    sol = solve(inst)
    assert sol.objective() == (1, 1, 1, 0)
    assert sol.optimal
    assert check_feasible(inst, sol) == []
    assert explain(inst, sol, "s") == "已安排第一志愿a、第二志愿b"


def test_check_feasible_catches_broken_solutions():
    inst = tiny()
    sol = solve(inst)
    bad = type(sol)(
        placements=sol.placements + (Placement("D", "robotics", "robotics-1", 2),),
        unplaced=sol.unplaced, students=sol.students, by_rank=sol.by_rank,
    )
    problems = check_feasible(inst, bad)
    assert any("不适合学生 D" in p for p in problems)
    assert any("志愿顺序" in p for p in problems)
    assert any("未安排名单" in p for p in problems)
    assert any("各志愿人数" in p for p in problems)


def test_to_dict_has_the_documented_shape():
    data = solve(tiny()).to_dict()
    assert set(data) == {"placements", "unplaced", "stats"}
    assert set(data["placements"][0]) == {"student", "course", "section", "rank"}
    assert {"student", "reason"} <= set(data["unplaced"][0])
    stats = data["stats"]
    assert stats["students"] == 9 and stats["placed"] == 3
    assert stats["by_rank"] == {"1": 1, "2": 2}
    assert stats["optimal"] is True and stats["mechanism"] == "exact"
    assert stats["seconds"] >= 0
    assert solve_serial_dictatorship(tiny()).to_dict()["stats"]["mechanism"] == "lottery"
    assert solve_first_come(tiny()).to_dict()["stats"]["optimal"] is False
    assert solve_first_come(tiny()).to_dict()["stats"]["mechanism"] == "fcfs"


def test_first_come_follows_the_listed_order():
    inst = tiny()
    fcfs = solve_first_come(inst)
    # A comes first and takes basketball, so B (Tuesday only) is left out.
    assert {p.student: p.course for p in fcfs.placements}["A"] == "basketball"
    assert "B" in {u.student for u in fcfs.unplaced}
    assert fcfs.objective() < solve(inst).objective()


def crowded(k: int, seed: int = 11) -> dict:
    """Sixty children, six courses with overlapping slots, too few seats."""
    rng = random.Random(seed)
    slots = ["mon-1", "mon-2", "tue-1", "tue-2"]
    courses = [
        {"id": f"c{c}", "grades": [1, 2], "sections": [
            {"id": f"c{c}-{s}", "capacity": rng.randint(3, 8),
             "slots": rng.sample(slots, rng.randint(1, 2))} for s in range(rng.randint(1, 3))]}
        for c in range(6)
    ]
    students = [
        {"id": f"s{i:02d}", "grade": rng.randint(1, 2),
         "days": rng.choice([["mon", "tue"], ["mon", "tue"], ["mon"], ["tue"]]),
         "preferences": rng.sample([c["id"] for c in courses], rng.randint(0, 4))}
        for i in range(60)
    ]
    return {"format": "afterschool-arrangement/1", "seed": seed,
            "max_courses_per_student": k, "courses": courses, "students": students}


@pytest.mark.parametrize("k", [1, 2])
def test_same_solution_in_another_process(tmp_path, k):
    """No set or hash order leaks into the result (nor into the CP-SAT models)."""
    path = tmp_path / "crowded.json"
    path.write_text(json.dumps(crowded(k)), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    outputs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        done = subprocess.run([sys.executable, "-m", "arrangement.solver", str(path)], cwd=root,
                              env=env, capture_output=True, text=True, check=True)
        outputs.append(json.loads(done.stdout)["placements"])
    assert outputs[0] == outputs[1]
    inst = parse_instance(crowded(k))
    assert outputs[0] == solve(inst).to_dict()["placements"]


def test_huge_capacities_do_not_blow_up():
    for k in (1, 2):
        data = crowded(k)
        for course in data["courses"]:
            for section in course["sections"]:
                section["capacity"] = 10**9
        inst = parse_instance(data)
        sol = solve(inst)
        assert check_feasible(inst, sol) == [] and sol.optimal
        wanting = sum(1 for s in inst.students if any(
            inst.fitting_sections(s, inst.course_by_id[c]) for c in s.preferences))
        assert sol.placed == wanting


def test_time_limit_keeps_a_feasible_answer_and_rule_one():
    inst = parse_instance(crowded(2, seed=12))  # one whose relaxation is not tight
    best = solve(inst)
    assert best.optimal and best.extra["method"] == "hierarchical CP-SAT"
    hurried = solve(inst, time_limit=1e-6)
    assert check_feasible(inst, hurried) == []
    # Placed and first choices never depend on CP-SAT (see arrangement/solver/multi.py).
    assert hurried.objective()[:2] == best.objective()[:2]
    assert hurried.objective() <= best.objective()
