"""Roster import: reading messy files, validating every row, writing all or nothing."""

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from afterschool import cleaning
from afterschool.models import Grade, Guardian, Homeroom, Staff, Student, StudentGuardian
from afterschool.roster import EXAMPLE_ROW, STAFF, STUDENTS, UNREADABLE_FILE, roster_import
from tests import factories

pytestmark = pytest.mark.django_db

HEADERS = ["学籍号", "姓名", "性别", "年级", "班级", "是否寄宿", "监护人姓名", "监护人电话", "与学生关系"]


def write_xlsx(path: Path, rows: list, *, title: str | None = None, blank_before: int = 0,
               sheets: dict[str, list] | None = None) -> Path:
    """An .xlsx with ``rows`` (header first), optionally below a merged title row."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for _ in range(blank_before):
        sheet.append([])
    for row in rows:
        sheet.append(list(row))
    for name, extra in (sheets or {}).items():
        other = workbook.create_sheet(name)
        for row in extra:
            other.append(list(row))
    workbook.save(path)
    return path


def student(no, name, homeroom="7-3", *, phone="13800000001", guardian="王丽", relation="母亲",
            gender="男", grade="", boarding="否"):
    return {"学籍号": no, "姓名": name, "性别": gender, "年级": grade, "班级": homeroom,
            "是否寄宿": boarding, "监护人姓名": guardian, "监护人电话": phone, "与学生关系": relation}


def table(records: list[dict], headers=HEADERS) -> list[list]:
    return [headers] + [[r.get(h, "") for h in headers] for r in records]


def run(school, path, kind=STUDENTS):
    """Import, creating the homerooms the file names (their preview: test_roster_preview)."""
    return roster_import(school=school, path_or_file=path, kind=kind, create_homerooms=True)


def counts():
    return {m.__name__: m.objects.count()
            for m in (Student, Guardian, StudentGuardian, Homeroom, Grade, Staff)}


@pytest.fixture
def school(db):
    return factories.SchoolFactory(name="莒县第四实验小学", code="jx4")


# ------------------------------------------------------------------ cleaning

@pytest.mark.parametrize("label", ["7-3", "7.3", "7－3", "初一(3)班", "初一（3）班", "七年级3班",
                                   "七年级（3）班", "七年级 3 班", "7年级3班", "七(3)班", 7.3,
                                   dt.datetime(2024, 7, 3)])
def test_homeroom_labels_with_their_grade(label):
    assert cleaning.parse_homeroom_label(label) == (7, 3)


@pytest.mark.parametrize("label, expected", [("3班", (None, 3)), ("3", (None, 3)),
                                             ("(3)班", (None, 3)), ("三班", (None, 3)),
                                             ("十二班", (None, 12)), ("高二(1)班", (11, 1)),
                                             ("一年级2班", (1, 2)), ("初三1班", (9, 1)),
                                             ("abc", None), ("0班", None), ("初四1班", None)])
def test_homeroom_labels_other_forms(label, expected):
    assert cleaning.parse_homeroom_label(label) == expected


@pytest.mark.parametrize("value, grade", [("7", 7), (7, 7), ("七年级", 7), ("初一", 7), ("初二", 8),
                                          ("初三", 9), ("高一", 10), ("高三", 12), ("一年级", 1),
                                          ("六年级", 6), ("７年级", 7), ("初中二年级", 8),
                                          ("十三", None), ("高四", None), ("", None)])
def test_grades(value, grade):
    assert cleaning.parse_grade(value) == grade


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                 "+86-13800138000", "１３８００１３８０００", 13800138000,
                                 13800138000.0, " 13800138000 "])
def test_phones(raw):
    assert cleaning.clean_phone(raw) == "13800138000"


def test_yes_no_gender_weekdays_names_codes():
    for word in ("是", "Y", "y", "1", 1, "寄宿", True):
        assert cleaning.parse_yes_no(word, yes={"寄宿"}) is True
    for word in ("否", "N", "0", 0, "走读", False):
        assert cleaning.parse_yes_no(word, no={"走读"}) is False
    assert cleaning.parse_yes_no("也许") is None
    assert [cleaning.parse_gender(g) for g in ("男", "女", "M", "f", "x")] == ["M", "F", "M", "F", None]
    assert cleaning.parse_weekdays("周一、周三") == [1, 3]
    assert cleaning.parse_weekdays("1,3") == [1, 3]
    assert cleaning.parse_weekdays("周一至周四") == [1, 2, 3, 4]
    assert cleaning.parse_weekdays("每天") is None
    assert cleaning.clean_name("王　芳 ") == "王芳"
    assert cleaning.clean_code(2024070101.0) == "2024070101"
    assert cleaning.clean_code("2024070101.0") == "2024070101"
    assert cleaning.clean_code("２０２４０７０１０１ ") == "2024070101"


# ------------------------------------------------------------------ reading

def test_synonyms_any_column_order_and_a_title_row_above_the_header(tmp_path, school):
    headers = ["家长电话", "关系", "学生姓名", "序号", "班级", "学号", "家长姓名", "寄宿", "性别"]
    records = [{"家长电话": "13800000001", "关系": "父亲", "学生姓名": "张小明", "序号": 1,
                "班级": "7-3", "学号": "2024070301", "家长姓名": "张建国", "寄宿": "是", "性别": "男"}]
    path = write_xlsx(tmp_path / "a.xlsx", table(records, headers),
                      title="莒县第四实验小学2024级学生名册", blank_before=1)
    result = run(school, path)
    assert result.ok, result.errors
    s = Student.objects.get(student_no="2024070301")
    assert (s.name, s.gender, s.is_boarder, s.homeroom.short_label) == ("张小明", "M", True, "7-3")
    link = s.guardian_links.get()
    assert (link.guardian.name, link.guardian.phone, link.relation, link.is_primary) == (
        "张建国", "13800000001", "父亲", True)
    assert "表头在第 3 行。" in result.notes


@pytest.mark.parametrize("synonym", ["联系电话", "手机号", "监护人电话", "家长电话"])
def test_phone_header_synonyms(tmp_path, school, synonym):
    headers = ["学籍号", "姓名", "班级", "监护人姓名", synonym]
    path = write_xlsx(tmp_path / "a.xlsx", [headers, ["2024070301", "张小明", "7-3", "张建国",
                                                      "13800000001"]])
    assert run(school, path).ok
    assert Guardian.objects.get().phone == "13800000001"


def test_missing_required_header_is_named(tmp_path, school):
    path = write_xlsx(tmp_path / "a.xlsx", [["学籍号", "姓名", "班级", "监护人姓名"],
                                            ["2024070301", "张小明", "7-3", "张建国"]])
    result = run(school, path)
    assert not result.ok
    assert result.errors[0].row == 1
    assert "监护人电话" in result.errors[0].message
    assert Student.objects.count() == 0


def test_a_file_that_is_not_xlsx_is_refused(tmp_path, school):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 an old .xls file")
    result = run(school, path)
    assert [e.message for e in result.errors] == [UNREADABLE_FILE]


def test_a_wrong_sheet_size_in_the_file_still_reads_every_row(tmp_path, school):
    """Some exporters write <dimension ref="A1"/> whatever the sheet holds."""
    import re
    import zipfile

    good = write_xlsx(tmp_path / "good.xlsx", table([student("1", "甲"), student("2", "乙")]),
                      title="名册")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
                assert n == 1
            target.writestr(item, data)
    result = run(school, bad)
    assert result.ok, result.errors
    assert result.summary["students_created"] == 2


def test_messy_values(tmp_path, school):
    records = [
        student("２０２４０７０３０１", " 张　三 ", phone="138 0000 0001", gender="M", boarding="Y"),
        student(2024070302, "李四 ", phone="+86 138-0000-0002", gender="女", boarding="走读"),
        student(2024070303.0, "王五", phone=13800000003.0, gender="F", boarding=1),
        student("2024070304.0", "赵六", phone="１３８０００００００４", gender=" 男 ", boarding=""),
        student("2024070305", "钱七", phone="+8613800000005", boarding="寄宿"),
        student("2024070306", "孙八", phone="0086 13800000006", boarding="N"),
    ]
    rows = table(records)
    rows.insert(3, [None] * len(HEADERS))  # a blank row in the middle
    rows.insert(4, ["", "  ", None, "", "", "", "", "", ""])
    rows += [[None] * len(HEADERS), ["", "", "", "", "", "", "", "", ""]]  # and at the end
    result = run(school, write_xlsx(tmp_path / "a.xlsx", rows))
    assert result.ok, result.errors
    assert result.summary["students_created"] == 6
    got = {s.student_no: (s.name, s.gender, s.is_boarder, s.guardians.get().phone)
           for s in Student.objects.all()}
    assert got == {
        "2024070301": ("张三", "M", True, "13800000001"),
        "2024070302": ("李四", "F", False, "13800000002"),
        "2024070303": ("王五", "F", True, "13800000003"),
        "2024070304": ("赵六", "M", False, "13800000004"),
        "2024070305": ("钱七", "M", True, "13800000005"),
        "2024070306": ("孙八", "M", False, "13800000006"),
    }


def test_every_homeroom_label_names_the_same_homeroom(tmp_path, school):
    forms = [("", "7-3"), ("", "7.3"), ("", "初一(3)班"), ("", "初一（3）班"), ("", "七年级3班"),
             ("", "七年级（3）班"), ("7", "3班"), ("七年级", "3班"), ("初一", "3班"), (7, 3),
             ("", 7.3), ("", dt.datetime(2024, 7, 3))]  # Excel made a date of 7-3
    records = [student(f"20240703{i:02d}", f"学生{i}", label, grade=grade,
                       phone=f"138000000{i:02d}", guardian=f"家长{i}")
               for i, (grade, label) in enumerate(forms)]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    assert result.ok, result.errors
    assert result.summary["homerooms_created"] == 1
    homeroom = Homeroom.objects.get()
    assert (homeroom.grade.number, homeroom.grade.name, homeroom.number) == (7, "七年级", 3)
    assert homeroom.students.count() == len(forms)


def test_existing_homeroom_and_grade_are_reused(tmp_path, school):
    grade = factories.GradeFactory(school=school, number=7)
    homeroom = factories.HomeroomFactory(school=school, grade=grade, number=3)
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table([student("1", "甲", "初一(3)班")])))
    assert result.summary["homerooms_created"] == 0
    assert Student.objects.get().homeroom == homeroom
    assert Grade.objects.count() == 1


def test_siblings_share_one_guardian(tmp_path, school):
    records = [student("2024070301", "张小明", "7-3", phone="13800000001", guardian="王丽"),
               student("2024080105", "张小红", "8-1", phone="138 0000 0001", guardian="王丽")]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    assert result.summary["guardians_created"] == 1
    guardian = Guardian.objects.get()
    assert {s.name for s in guardian.students.all()} == {"张小明", "张小红"}
    assert StudentGuardian.objects.filter(guardian=guardian).count() == 2


def test_second_guardian(tmp_path, school):
    headers = HEADERS + ["第二监护人姓名", "第二监护人电话", "第二监护人关系"]
    record = {**student("1", "甲"), "第二监护人姓名": "张建国", "第二监护人电话": "13900000001",
              "第二监护人关系": "父亲"}
    assert run(school, write_xlsx(tmp_path / "a.xlsx", table([record], headers))).ok
    links = {link.guardian.name: (link.relation, link.is_primary)
             for link in StudentGuardian.objects.select_related("guardian")}
    assert links == {"王丽": ("母亲", True), "张建国": ("父亲", False)}


def test_several_sheets_one_per_homeroom(tmp_path, school):
    first = table([student("1", "甲", "3班", grade="七年级")])
    second = table([student("2", "乙", "4班", grade="七年级", phone="13800000002",
                            guardian="李强")])
    path = write_xlsx(tmp_path / "a.xlsx", first,
                      sheets={"七年级4班": second, "填写说明": [["学籍号", "必填"]]})
    result = run(school, path)
    assert result.ok, result.errors
    assert result.summary["students_created"] == 2


# ------------------------------------------------------------------ errors

def test_duplicate_student_no_names_both_rows(tmp_path, school):
    records = [student("2024070301", "张小明"), student("2024070302", "李华", phone="13800000002",
                                                        guardian="李强"),
               student("2024070301", "张晓明", phone="13800000003", guardian="赵敏")]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    assert [(e.row, e.column) for e in result.errors] == [(4, "学籍号")]
    assert "第 2 行" in result.errors[0].message and "第 4 行" in result.errors[0].message
    assert Student.objects.count() == 0


def test_one_phone_with_two_names_names_both_rows(tmp_path, school):
    records = [student("1", "甲", guardian="王丽"), student("2", "乙", guardian="王莉")]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    assert [(e.row, e.column) for e in result.errors] == [(3, "监护人电话")]
    message = result.errors[0].message
    assert "第 2 行" in message and "第 3 行" in message and "王丽" in message and "王莉" in message
    assert counts()["Guardian"] == 0


def test_every_error_is_reported_and_nothing_is_written(tmp_path, school):
    factories.StudentFactory(school=school, student_no="2024999999")
    before = counts()
    records = [
        student("2024070301", "张小明"),                                    # fine
        student("", "无学号", phone="13800000002", guardian="甲"),           # row 3
        student("2024070303", "", homeroom="九班九", phone="12345", guardian="乙"),  # row 4
        student("2024070304", "错性别", gender="未知", boarding="也许", phone="13800000004",
                guardian="丙"),                                             # row 5
        student("2024070305", "无年级", homeroom="3班", phone="13800000005", guardian="丁"),  # 6
        student("2024070306", "矛盾", homeroom="8-3", grade="七年级", phone="13800000006",
                guardian="戊"),                                             # row 7
        student("2024070307", "无家长", guardian="", phone=""),               # row 8
    ]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "学籍号"),
        (4, "姓名"), (4, "班级"), (4, "监护人电话"),
        (5, "性别"), (5, "是否寄宿"),
        (6, "班级"),
        (7, "班级"),
        (8, "监护人姓名"), (8, "监护人电话"),
    }
    assert all(e.message for e in result.errors)
    by_cell = {(e.row, e.column): e.message for e in result.errors}
    assert by_cell[(3, "学籍号")] == "不能为空。"
    assert "12345" in by_cell[(4, "监护人电话")]
    assert "无法识别班级「九班九」" in by_cell[(4, "班级")]
    assert "没有写年级" in by_cell[(6, "班级")]
    assert "不一致" in by_cell[(7, "班级")]
    assert counts() == before


def test_duplicated_header_is_an_error(tmp_path, school):
    headers = ["学籍号", "姓名", "班级", "监护人姓名", "监护人电话", "联系电话"]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", [
        headers, ["1", "甲", "7-3", "王丽", "13800000001", "13800000002"]]))
    assert [(e.row, e.column) for e in result.errors] == [(1, "联系电话")]
    assert Student.objects.count() == 0


def test_long_student_no_in_a_number_cell_is_refused(tmp_path, school):
    path = write_xlsx(tmp_path / "a.xlsx", table([student(1.2345678901234568e18, "甲")]))
    result = run(school, path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "学籍号")]
    assert "文本" in result.errors[0].message


def test_template_example_row_is_refused(tmp_path, school):
    from afterschool.exports import template_workbook

    path = tmp_path / "模板.xlsx"
    path.write_bytes(template_workbook(STUDENTS))
    result = run(school, path)
    assert [(e.row, e.message) for e in result.errors] == [(3, EXAMPLE_ROW)]


# ------------------------------------------------------------------ re-import

def test_importing_the_same_file_again_changes_nothing(tmp_path, school):
    records = [student("2024070301", "张小明"), student("2024070302", "张小红", "8-1"),
               student("2024070303", "李华", phone="13800000002", guardian="李强", relation="父亲")]
    path = write_xlsx(tmp_path / "a.xlsx", table(records))
    first = run(school, path).summary
    assert first == {"students_created": 3, "students_updated": 0, "students_unchanged": 0,
                     "guardians_created": 2, "homerooms_created": 2}
    before = counts()
    codes = dict(Guardian.objects.values_list("phone", "activation_code"))
    again = run(school, path).summary
    assert again == {"students_created": 0, "students_updated": 0, "students_unchanged": 3,
                     "guardians_created": 0, "homerooms_created": 0}
    assert counts() == before
    assert dict(Guardian.objects.values_list("phone", "activation_code")) == codes


def test_a_corrected_file_updates_what_changed(tmp_path, school):
    records = [student("2024070301", "张小明", "7-3", gender="男", boarding="否"),
               student("2024070302", "李华", "7-3", phone="13800000002", guardian="李强",
                       relation="父亲"),
               student("2024070303", "赵敏", "7-3", phone="13800000003", guardian="赵刚")]
    run(school, write_xlsx(tmp_path / "a.xlsx", table(records)))
    records[0] = student("2024070301", "张晓明", "7-4", gender="女", boarding="是")
    records[1] = student("2024070302", "李华", "7-3", phone="13800000002", guardian="李强强",
                         relation="爷爷")
    result = run(school, write_xlsx(tmp_path / "b.xlsx", table(records)))
    assert result.summary == {"students_created": 0, "students_updated": 2,
                              "students_unchanged": 1, "guardians_created": 0,
                              "homerooms_created": 1}
    s = Student.objects.get(student_no="2024070301")
    assert (s.name, s.gender, s.is_boarder, s.homeroom.short_label) == ("张晓明", "F", True, "7-4")
    link = StudentGuardian.objects.select_related("guardian").get(student__student_no="2024070302")
    assert (link.guardian.name, link.relation) == ("李强强", "爷爷")
    assert Student.objects.count() == 3 and Guardian.objects.count() == 3


def test_a_new_guardian_phone_replaces_the_old_link(tmp_path, school):
    run(school, write_xlsx(tmp_path / "a.xlsx", table([student("1", "甲", phone="13800000001")])))
    run(school, write_xlsx(tmp_path / "b.xlsx", table([student("1", "甲", phone="13800000009")])))
    assert list(Student.objects.get().guardians.values_list("phone", flat=True)) == ["13800000009"]
    # The old guardian (who may already have a login) stays; only the link is gone.
    assert Guardian.objects.count() == 2


def test_a_file_without_optional_columns_leaves_those_fields_alone(tmp_path, school):
    run(school, write_xlsx(tmp_path / "a.xlsx", table([student("1", "甲", gender="女",
                                                               boarding="是")])))
    headers = ["学籍号", "姓名", "班级", "监护人姓名", "监护人电话"]
    result = run(school, write_xlsx(tmp_path / "b.xlsx", [headers, ["1", "甲", "7-3", "王丽",
                                                                     "13800000001"]]))
    assert result.summary["students_unchanged"] == 1
    s = Student.objects.get()
    assert (s.gender, s.is_boarder, s.guardian_links.get().relation) == ("F", True, "母亲")


# ------------------------------------------------------------------ staff

STAFF_HEADERS = ["姓名", "电话", "学科", "类别", "班主任班级", "可服务日"]


def test_staff_import_update_and_reimport(tmp_path, school):
    grade = factories.GradeFactory(school=school, number=7)
    homeroom = factories.HomeroomFactory(school=school, grade=grade, number=3, head_teacher=None)
    rows = [STAFF_HEADERS,
            ["王老师", "139 0000 0001", "语文，书法", "校内", "初一(3)班", "周一、周三"],
            ["钱教练", "+86 13900000002", "篮球", "校外", "", "1,3"]]
    path = write_xlsx(tmp_path / "a.xlsx", rows, title="教职工名册")
    result = run(school, path, STAFF)
    assert result.ok, result.errors
    assert result.summary == {"staff_created": 2, "staff_updated": 0, "staff_unchanged": 0}
    wang = Staff.objects.get(phone="13900000001")
    assert (wang.subjects, wang.is_external, wang.available_weekdays) == ("语文、书法", False, [1, 3])
    homeroom.refresh_from_db()
    assert homeroom.head_teacher == wang
    assert Staff.objects.get(phone="13900000002").is_external is True
    assert run(school, path, STAFF).summary == {"staff_created": 0, "staff_updated": 0,
                                                "staff_unchanged": 2}
    rows[1][4] = ""
    rows[2][3] = "校内"
    changed = run(school, write_xlsx(tmp_path / "b.xlsx", rows), STAFF)
    assert changed.summary == {"staff_created": 0, "staff_updated": 2, "staff_unchanged": 0}
    homeroom.refresh_from_db()
    assert homeroom.head_teacher is None


def test_staff_errors(tmp_path, school):
    rows = [["姓名", "手机号", "是否校外", "班主任班级", "可服务日"],
            ["王老师", "13900000001", "否", "7-9", "周八"],
            ["李老师", "13900000001", "也许", "", ""],
            ["", "123", "", "", ""]]
    result = run(school, write_xlsx(tmp_path / "a.xlsx", rows), STAFF)
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "班主任班级"), (2, "可服务日"), (3, "手机号"), (3, "是否校外"), (4, "姓名"), (4, "手机号")}
    assert Staff.objects.count() == 0


def test_staff_homeroom_excel_turned_into_a_date(tmp_path, school):
    grade = factories.GradeFactory(school=school, number=7)
    homeroom = factories.HomeroomFactory(school=school, grade=grade, number=3, head_teacher=None)
    rows = [["姓名", "手机号", "班主任班级"], ["王老师", "13900000001", dt.datetime(2024, 7, 3)]]
    assert run(school, write_xlsx(tmp_path / "a.xlsx", rows), STAFF).ok
    homeroom.refresh_from_db()
    assert homeroom.head_teacher.name == "王老师"
