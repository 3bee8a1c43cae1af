"""manage.py import_roster: exit 0 with a summary, or exit 1 with every error and no writes."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from afterschool.models import Guardian, Homeroom, Staff, Student
from tests.afterschool.test_roster import student, table, write_xlsx
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def command(*args):
    """Run the command; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_roster", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def school(db):
    return SchoolFactory(name="莒县第四实验小学", code="jx4")


@pytest.fixture
def good(tmp_path):
    records = [student("2024070301", "张小明"), student("2024070302", "张小红", "8-1")]
    return write_xlsx(tmp_path / "good.xlsx", table(records))


@pytest.fixture
def bad(tmp_path):
    records = [student("2024070301", "张小明", phone="123"), student("2024070302", "", "8-1"),
               student("2024070301", "重复", phone="13800000009", guardian="赵敏")]
    return write_xlsx(tmp_path / "bad.xlsx", table(records))


def test_success_prints_a_summary(school, good):
    code, out, err = command(str(good), "--school", "jx4")
    assert code == 1 and "将新增班级：" in err and "--create-homerooms" in err
    assert Student.objects.count() == 0
    code, out, _ = command(str(good), "--school", "jx4", "--create-homerooms")
    assert code == 0
    assert "导入完成" in out and "新增学生 2" in out and "新增班级 2" in out
    assert Student.objects.count() == 2


def test_json_summary_keys(school, good):
    code, out, _ = command(str(good), "--school", "jx4", "--json", "--create-homerooms")
    assert code == 0
    assert json.loads(out) == {"students_created": 2, "students_updated": 0,
                               "students_unchanged": 0, "guardians_created": 1,
                               "homerooms_created": 2}
    code, out, _ = command(str(good), "--school", "jx4", "--json")
    assert json.loads(out)["students_unchanged"] == 2


def test_errors_exit_1_and_nothing_is_written(school, bad):
    code, out, err = command(str(bad), "--school", "jx4")
    assert code == 1 and out == ""
    assert "第 2 行「监护人电话」列：「123」不是有效的 11 位手机号码。" in err
    assert "第 3 行「姓名」列：不能为空。" in err
    assert "共 3 处错误，没有写入任何数据。" in err
    assert (Student.objects.count(), Guardian.objects.count(), Homeroom.objects.count()) == (0, 0, 0)


def test_json_errors(school, bad):
    code, out, _ = command(str(bad), "--school", "jx4", "--json")
    assert code == 1
    data = json.loads(out)
    assert list(data) == ["errors"]
    assert [(e["row"], e["column"]) for e in data["errors"]] == [
        (2, "监护人电话"), (3, "姓名"), (4, "学籍号")]
    assert all(set(e) == {"row", "column", "message"} for e in data["errors"])
    assert "不能为空" in out  # ensure_ascii=False: Chinese as it is, not \\u escapes
    assert Student.objects.count() == 0


def test_unknown_school(db, good):
    code, out, err = command(str(good), "--school", "nope")
    assert code == 1
    assert "找不到学校代码为「nope」的学校。" in err
    code, out, _ = command(str(good), "--school", "nope", "--json")
    assert code == 1 and "找不到学校代码" in json.loads(out)["errors"][0]["message"]


def test_missing_file(school, tmp_path):
    code, _, err = command(str(tmp_path / "none.xlsx"), "--school", "jx4")
    assert code == 1 and "找不到文件" in err


def test_staff_kind(school, tmp_path):
    path = write_xlsx(tmp_path / "staff.xlsx", [["姓名", "手机号", "类别"],
                                                ["王老师", "13900000001", "校外"]])
    code, out, _ = command(str(path), "--school", "jx4", "--kind", "staff", "--json")
    assert code == 0
    assert json.loads(out) == {"staff_created": 1, "staff_updated": 0, "staff_unchanged": 0}
    assert Staff.objects.get().is_external is True
