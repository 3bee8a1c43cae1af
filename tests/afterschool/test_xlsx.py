"""The one .xlsx writer: formula-looking text stays text, and downloads keep Chinese names."""

import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool import xlsx
from afterschool.access import actor_for
from afterschool.models import Staff, Student
from afterschool.roster import roster_import

pytestmark = pytest.mark.django_db

# A pupil's name that would be a live link if it were written as a formula.
LINK = '=HYPERLINK("http://x","y")'
FORMULAS = [LINK, "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1"]


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    return load_workbook(io.BytesIO(response.content))


def cells_with(book, value):
    """Every cell of ``book`` whose value is ``value``."""
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value == value]


def assert_text(book, value):
    found = cells_with(book, value)
    assert found, f"{value!r} is not in the workbook"
    for cell in found:
        assert cell.data_type == "s", (value, cell.coordinate, cell.data_type)


# ------------------------------------------------------------------ the writer

@pytest.mark.parametrize("value", [*FORMULAS, "#N/A", "张三", "=", "-"])
def test_strings_are_stored_as_text_and_read_back_exactly(value):
    book = xlsx.Book()
    sheet = book.sheet("名单")
    sheet.header(["姓名"])
    sheet.row([value, 3, None])
    # XML reads a carriage return back as a line feed; every other character comes back.
    expected = value.replace("\r", "\n")
    for read_only in (False, True):
        loaded = load_workbook(io.BytesIO(book.to_bytes()), read_only=read_only, data_only=True)
        cell = next(loaded.active.iter_rows(min_row=2, max_col=1))[0]
        assert (cell.value, cell.data_type) == (expected, "s")
    loaded = load_workbook(io.BytesIO(book.to_bytes()))
    cell = loaded.active["A2"]
    if xlsx.looks_like_formula(value):
        # Excel shows it as typed and keeps it text when someone edits the cell.
        assert cell.quotePrefix and cell.number_format == "@"
    assert loaded.active["B2"].value == 3 and loaded.active["B2"].data_type == "n"


def test_sheet_titles_excel_refuses_are_made_safe():
    book = xlsx.Book()
    book.sheet("七年级/3班:名单[2025]*" + "很" * 40).row(["x"])
    [title] = load_workbook(io.BytesIO(book.to_bytes())).sheetnames
    assert len(title) == 31 and not set(title) & set("/\\:[]*?")


@pytest.mark.parametrize("filename, fallback, ascii_name", [
    ("统筹安排-第1版.xlsx", "", "export-1.xlsx"),
    ("课后服务参与统计-20250101.xlsx", "enrollment-20250101.xlsx", "enrollment-20250101.xlsx"),
    ('七年级"3班"\r\n名册.xlsx', "", "export-3.xlsx"),
])
def test_download_names_are_chinese_with_an_ascii_fallback(filename, fallback, ascii_name):
    response = xlsx.xlsx_response(b"PK", filename, fallback=fallback)
    header = response["Content-Disposition"]
    assert header == (f'attachment; filename="{ascii_name}"; '
                      f"filename*=utf-8''{quote(filename, safe='')}")
    assert response["Content-Type"] == xlsx.CONTENT_TYPE


def test_an_ascii_name_needs_no_second_form():
    assert xlsx.content_disposition("roster.xlsx") == 'attachment; filename="roster.xlsx"'


# ------------------------------------------------------------------ the three exports

def test_roster_exports_keep_formula_text(login, world):
    Student.objects.filter(pk=world.child.pk).update(name=LINK)
    world.guardian.name = "+8613800000000"
    world.guardian.save()
    Staff.objects.filter(pk=world.tutor.pk).update(name="@SUM(1,1)", subjects="-1+1")
    client = login(world.coordinator)
    students = workbook(client.get(reverse("school:roster_export_school")))
    assert_text(students, LINK)
    assert_text(students, "+8613800000000")
    staff = workbook(client.get(reverse("school:roster_export_staff")))
    assert_text(staff, "@SUM(1,1)")
    assert_text(staff, "-1+1")


def test_roster_download_keeps_its_chinese_name(login, world):
    response = login(world.coordinator).get(reverse("school:roster_export_staff"))
    name = f"{world.school.name}教职工名册.xlsx"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"export.xlsx\"; filename*=utf-8''{quote(name)}")


def test_a_pupil_named_like_a_formula_survives_export_then_import(login, world, tmp_path):
    Student.objects.filter(pk=world.child.pk).update(name=LINK)
    # The file that imports back: the office's, with full phone numbers asked for a reason.
    response = login(world.coordinator).post(reverse("school:roster_export"), {
        "scope": "school", "full_phones": "1", "reason": "核对后重新导入名册"})
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    Student.objects.filter(pk=world.child.pk).update(name="改过的名字")
    result = roster_import(school=world.school, path_or_file=path)
    assert result.ok, result.errors
    assert result.summary["students_updated"] == 1
    world.child.refresh_from_db()
    assert world.child.name == LINK


def test_enrollment_statistics_keep_formula_text(login, world):
    from enrollment.models import Application
    from tests.enrollment.factories import ApplicationFactory

    ApplicationFactory(student=world.child, term=world.term, status=Application.Status.SUBMITTED)
    Student.objects.filter(pk=world.child.pk).update(name=LINK)
    Staff.objects.filter(pk=world.homeroom_teacher.pk).update(name="@SUM(1,1)")
    response = login(world.coordinator).get(reverse("enrollment:statistics_export"))
    book = workbook(response)
    assert_text(book, LINK)
    assert_text(book, "@SUM(1,1)")
    assert "filename*=utf-8''" + quote("课后服务参与统计-") in response["Content-Disposition"]
    # The rate keeps its percentage format; numbers stay numbers.
    sheet = book["参与统计"]
    header = [c.value for c in sheet[3]]
    rate = sheet.cell(row=4, column=header.index("参与率") + 1)
    assert rate.number_format == "0.0%" and rate.data_type == "n"


def test_arrangement_export_keeps_formula_text_and_a_chinese_name(
        login, world, django_capture_on_commit_callbacks):
    from courses.models import Course
    from tests.arrangement.factories import run_now, small_term

    st = small_term(world, n_students=8, capacity=2)
    run = run_now(st.term, actor_for(world.coordinator, world.school),
                  django_capture_on_commit_callbacks, seed=4)
    Course.objects.filter(pk=st.courses["basketball"].pk).update(name="=1+2")
    placed = run.placements.select_related("student").first().student
    Student.objects.filter(pk=placed.pk).update(name=LINK)
    response = login(world.coordinator).get(
        reverse("arrangement:export", args=[run.pk]))
    book = workbook(response)
    assert_text(book, "=1+2")
    assert_text(book, LINK)
    name = f"统筹安排-第{run.version}版.xlsx"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"arrangement-{run.term_id}-v{run.version}.xlsx\"; "
        f"filename*=utf-8''{quote(name)}")
