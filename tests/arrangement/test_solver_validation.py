"""Instances the solver refuses, and the command line (pure pytest, no DB)."""

import copy
import io
import json

import pytest

from arrangement.solver import Course, Instance, InstanceError, Section, Student, parse_instance
from arrangement.solver.cli import main


def valid() -> dict:
    return {
        "format": "afterschool-arrangement/1",
        "seed": 7,
        "max_courses_per_student": 1,
        "courses": [
            {"id": "basketball", "name": "篮球", "grades": [7, 8], "extra": "ignored",
             "sections": [{"id": "basketball-1", "capacity": 25, "slots": ["tue-2"]}]},
            {"id": "chess", "grades": [7],
             "sections": [{"id": "chess-1", "capacity": 10, "slots": ["wed-1", "thu-3"]}]},
        ],
        "students": [
            {"id": "S0001", "grade": 7, "homeroom": "7-01", "days": ["tue", "wed", "thu"],
             "preferences": ["basketball", "chess"], "name": "张三"},
            {"id": "S0003", "grade": 8, "homeroom": "8-01", "days": ["tue"],
             "preferences": []},
        ],
    }


def broken(change) -> dict:
    data = copy.deepcopy(valid())
    change(data)
    return data


def student(data, i=1):
    return data["students"][i]


def section(data, course=0, i=0):
    return data["courses"][course]["sections"][i]


CASES = {
    "unknown preference": (
        lambda d: student(d)["preferences"].append("robotics"),
        "学生 S0003 的志愿 “robotics” 不是已有课程"),
    "duplicate preference": (
        lambda d: student(d, 0)["preferences"].append("chess"),
        "学生 S0001 的志愿 “chess” 重复"),
    "duplicate course": (
        lambda d: d["courses"].append({"id": "chess", "grades": [7], "sections": []}),
        "课程编号 “chess” 重复"),
    "duplicate section": (
        lambda d: d["courses"][1]["sections"].append(
            {"id": "basketball-1", "capacity": 1, "slots": []}),
        "课程 chess 的教学班编号 “basketball-1” 重复"),
    "duplicate student": (
        lambda d: d["students"].append(copy.deepcopy(student(d, 0))),
        "学生编号 “S0001” 重复"),
    "negative capacity": (
        lambda d: section(d).update(capacity=-1),
        "教学班 basketball-1 的容量 -1 不能为负数"),
    "capacity not an integer": (
        lambda d: section(d).update(capacity="25"),
        "教学班 basketball-1 的容量必须是整数"),
    "slot without period": (
        lambda d: section(d).update(slots=["tue"]), "教学班 basketball-1 的上课时间 “tue”"),
    "slot with unknown day": (
        lambda d: section(d).update(slots=["tues-2"]), "教学班 basketball-1 的上课时间 “tues-2”"),
    "slot period zero": (
        lambda d: section(d).update(slots=["tue-0"]), "教学班 basketball-1 的上课时间 “tue-0”"),
    "slot period not a number": (
        lambda d: section(d, 1).update(slots=["wed-x"]), "教学班 chess-1 的上课时间 “wed-x”"),
    "slot not a string": (
        lambda d: section(d).update(slots=[2]), "教学班 basketball-1 的上课时间 “2”"),
    "slot repeated": (
        lambda d: section(d).update(slots=["tue-2", "tue-2"]),
        "教学班 basketball-1 的上课时间 “tue-2” 重复"),
    "unknown day": (
        lambda d: student(d).update(days=["tue", "funday"]), "学生 S0003 的参加日期 “funday”"),
    "grade not an integer": (
        lambda d: student(d).update(grade="7"), "学生 S0003 的年级必须是整数"),
    "course grade not an integer": (
        lambda d: d["courses"][1].update(grades=[True]), "课程 chess 的年级"),
    "wrong format": (
        lambda d: d.update(format="afterschool-arrangement/2"),
        "不支持的格式 “afterschool-arrangement/2”"),
    "missing format": (lambda d: d.pop("format"), "不支持的格式"),
    "k zero": (
        lambda d: d.update(max_courses_per_student=0), "max_courses_per_student 必须是正整数"),
    "seed not an integer": (lambda d: d.update(seed="x"), "随机种子 seed 必须是整数"),
    "student without days": (lambda d: student(d).pop("days"), "学生 S0003 缺少字段 “days”"),
    "student without id": (lambda d: student(d).pop("id"), "第 2 个学生缺少编号"),
    "section without capacity": (
        lambda d: section(d).pop("capacity"), "教学班 basketball-1 缺少字段 “capacity”"),
    "courses not a list": (lambda d: d.update(courses={}), "“courses” 必须是列表"),
}


@pytest.mark.parametrize("name", CASES)
def test_refused_with_the_offender_named(name):
    change, message = CASES[name]
    with pytest.raises(InstanceError) as excinfo:
        parse_instance(broken(change))
    assert message in str(excinfo.value)


def test_unknown_keys_are_ignored_and_names_kept():
    inst = parse_instance(valid())
    assert inst.course_by_id["basketball"].name == "篮球"
    assert inst.student_by_id["S0001"].name == "张三"
    assert inst.seed == 7


def test_defaults_and_empty_courses():
    data = valid()
    del data["seed"], data["max_courses_per_student"]
    data["courses"].append({"id": "closed", "grades": [7], "sections": []})
    inst = parse_instance(data)
    assert (inst.seed, inst.k) == (0, 1)


def test_instances_built_directly_are_validated_too():
    course = Course(id="x", grades=[1], sections=[Section(id="x-1", capacity=3, slots=["mon-1"])])
    ok = Instance(courses=[course], students=[Student(id="s", grade=1, days=["mon"],
                                                      preferences=["x"])])
    assert ok.courses[0].sections[0].slots == ("mon-1",)  # lists become tuples
    with pytest.raises(InstanceError, match="学生 s 的志愿 “y” 不是已有课程"):
        Instance(courses=[course], students=[Student(id="s", grade=1, days=["mon"],
                                                     preferences=["y"])])
    with pytest.raises(InstanceError, match="教学班 x-2 的容量 -2 不能为负数"):
        Instance(courses=[Course(id="x", grades=[1],
                                 sections=[Section(id="x-2", capacity=-2)])], students=[])


def run(argv, stdin_text=""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, io.StringIO(stdin_text), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_the_solution(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(valid(), ensure_ascii=False), encoding="utf-8")
    code, out, err = run([str(path)])
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["stats"]["placed"] == 1 and data["stats"]["optimal"] is True
    assert data["unplaced"] == [{"student": "S0003", "reason": "未填写志愿",
                                 "code": "no_preferences"}]
    assert "未填写志愿" in out  # ensure_ascii=False


@pytest.mark.parametrize("mechanism", ["lottery", "fcfs"])
def test_cli_other_mechanisms_from_stdin(mechanism):
    code, out, _ = run(["-", "--mechanism", mechanism], json.dumps(valid()))
    assert code == 0
    assert json.loads(out)["stats"]["mechanism"] == mechanism


@pytest.mark.parametrize("name", ["unknown preference", "negative capacity", "wrong format"])
def test_cli_refuses_bad_instances_with_status_2(tmp_path, name):
    change, message = CASES[name]
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(broken(change), ensure_ascii=False), encoding="utf-8")
    code, out, err = run([str(path)])
    assert code == 2
    assert out == ""
    assert message in err


def test_cli_unreadable_input(tmp_path):
    code, out, err = run([str(tmp_path / "missing.json")])
    assert (code, out) == (2, "") and "无法读取" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, out, err = run([str(bad)])
    assert (code, out) == (2, "") and "不是有效的 JSON" in err
    code, out, err = run([])
    assert (code, out) == (2, "") and "参数错误" in err
