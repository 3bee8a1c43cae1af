"""``manage.py arrange``: the exchange format's examples, malformed instances, and export → instance."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from afterschool.access import actor_for

from .factories import run_now, small_term

EXAMPLES = Path(__file__).resolve().parent / "data" / "examples"
VALID = {
    "format": "afterschool-arrangement/1", "seed": 1, "max_courses_per_student": 1,
    "courses": [{"id": "basketball", "grades": [7],
                 "sections": [{"id": "basketball-1", "capacity": 1, "slots": ["tue-2"]}]}],
    "students": [{"id": "S1", "grade": 7, "homeroom": "7-01", "days": ["tue"],
                  "preferences": ["basketball"]}],
}


def arrange(*args):
    """Run the command; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("arrange", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, data, name="instance.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", ["tiny", "two-courses-40", "homeroom-60", "grades-300"])
def test_examples_reach_their_optimum(name):
    path = EXAMPLES / f"{name}.json"
    expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
    code, out, err = arrange("--instance", str(path))
    assert code == 0, err
    solution = json.loads(out)
    stats = solution["stats"]
    by_rank = [stats["by_rank"][str(r)] for r in range(1, len(expected))]
    assert [stats["placed"], *by_rank] == expected
    assert stats["optimal"] is True and "seconds" in stats
    assert len(solution["unplaced"]) == stats["students"] - stats["placed"]


def test_lottery_mechanism_from_the_command(tmp_path):
    code, out, _ = arrange("--instance", str(EXAMPLES / "tiny.json"), "--mechanism", "lottery")
    assert code == 0 and json.loads(out)["stats"]["mechanism"] == "lottery"


def test_output_keeps_chinese_readable(tmp_path):
    data = json.loads(json.dumps(VALID))
    data["students"].append({"id": "S2", "grade": 7, "days": ["mon"], "preferences": []})
    code, out, _ = arrange("--instance", write(tmp_path, data))
    assert code == 0 and "未填写志愿" in out  # ensure_ascii=False: no \\u escapes


def _broken(change):
    data = json.loads(json.dumps(VALID))
    change(data)
    return data


@pytest.mark.parametrize("change,offender", [
    (lambda d: d["students"][0].update(preferences=["chess"]), "chess"),
    (lambda d: d["students"].append(dict(d["students"][0])), "S1"),
    (lambda d: d["students"][0].update(preferences=["basketball", "basketball"]), "basketball"),
    (lambda d: d["courses"][0]["sections"][0].update(slots=["tuesday-2"]), "tuesday-2"),
    (lambda d: d["courses"][0]["sections"][0].update(capacity=-1), "basketball-1"),
    (lambda d: d["courses"].append(dict(d["courses"][0], sections=[])), "basketball"),
])
def test_malformed_instance_exits_2_naming_the_offender(tmp_path, change, offender):
    code, out, err = arrange("--instance", write(tmp_path, _broken(change)))
    assert code == 2
    assert out == ""
    assert offender in err


def test_unreadable_file_exits_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{ not json", encoding="utf-8")
    code, out, err = arrange("--instance", str(path))
    assert code == 2 and out == "" and err


def test_export_then_instance_reproduces_the_run(world, tmp_path,
                                                 django_capture_on_commit_callbacks):
    st = small_term(world, n_students=9, capacity=2)
    office = actor_for(world.coordinator, world.school)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=13)
    path = tmp_path / "term.json"
    code, out, err = arrange("--term", str(st.term.pk), "--export", str(path))
    assert code == 0 and out == "" and "随机种子 13" in err
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["seed"] == 13 and len(exported["students"]) == 9
    code, out, _ = arrange("--instance", str(path))
    solution = json.loads(out)
    outside = sorted((p["student"], p["course"], p["section"], p["rank"])
                     for p in solution["placements"])
    inside = sorted((str(s), str(c), str(sec), r) for s, c, sec, r in
                    run.placements.values_list("student_id", "course_id", "section_id", "rank"))
    assert outside == inside
    assert solution["stats"]["by_rank"] == run.stats["by_rank"]


def test_export_needs_a_file_and_a_real_term(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--export"):
        call_command("arrange", "--term", "1")
    with pytest.raises(CommandError, match="学期"):
        call_command("arrange", "--term", "999", "--export", str(tmp_path / "x.json"))
