"""Roster pages: upload → job with progress → summary or errors; exports and templates."""

from io import BytesIO
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.models import Guardian, ImportJob, Staff, Student, StudentGuardian
from afterschool.roster import STAFF, STUDENTS, roster_import
from tests.afterschool.test_roster import student, table, write_xlsx

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def upload(path, name="名册.xlsx"):
    return SimpleUploadedFile(name, path.read_bytes(), content_type=XLSX)


def post_roster(client, path, kind=STUDENTS, capture=None):
    with capture(execute=True):
        response = client.post(reverse("school:roster_upload"),
                               {"kind": kind, "file": upload(path)})
    return response


def counts():
    return (Student.objects.count(), Guardian.objects.count(), StudentGuardian.objects.count())


# ------------------------------------------------------------------ who may

@pytest.mark.parametrize("name, args", [("school:roster_upload", []), ("school:roster_job", [1]),
                                        ("school:roster_job_status", [1]),
                                        ("school:roster_export", []),
                                        ("school:roster_export_school", []),
                                        ("school:roster_export_staff", []),
                                        ("school:roster_export_grade", [1]),
                                        ("school:roster_export_homeroom", [1]),
                                        ("school:roster_template", ["students"])])
def test_anonymous_is_sent_to_login(client, world, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["guardian", "homeroom_teacher", "principal", "tutor"])
def test_only_the_coordinator_uploads(login, world, tmp_path, who):
    person = getattr(world, who)
    client = login(getattr(person, "user", person))
    assert client.get(reverse("school:roster_upload")).status_code == 403
    path = write_xlsx(tmp_path / "a.xlsx", table([student("1", "甲")]))
    response = client.post(reverse("school:roster_upload"), {"kind": STUDENTS, "file": upload(path)})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_upload_page(login, world):
    response = login(world.coordinator).get(reverse("school:roster_upload"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "上传并校验" in content
    assert reverse("school:roster_template", args=["students"]) in content
    assert reverse("school:roster_template", args=["staff"]) in content


# ------------------------------------------------------------------ upload and job

def test_coordinator_uploads_a_roster_and_it_is_imported(login, world, tmp_path,
                                                         django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    records = [student("2024070301", "张小明", "初一(3)班"),
               student("2024070302", "张小红", "7-3")]
    path = write_xlsx(tmp_path / "a.xlsx", table(records), title="七年级3班名册")
    response = post_roster(client, path, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("school:roster_job", args=[job.pk])
    # 七年级3班 is new to the school: a preview, nothing written until confirmed.
    assert job.status == "awaiting" and not Student.objects.filter(homeroom__number=3).exists()
    page = client.get(response["Location"]).content.decode()
    assert "将新增班级：七年级3班（2 名学生）" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("school:roster_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("done", 2, 2, 100)
    assert (job.school, job.created_by, job.original_name) == (world.school, world.coordinator,
                                                               "名册.xlsx")
    # The upload is deleted once imported (test_roster_bounds checks where it was kept).
    assert job.file.name == ""
    assert job.summary["students_created"] == 2 and job.summary["guardians_created"] == 1
    assert set(Student.objects.filter(homeroom__number=3).values_list("name", flat=True)) == {
        "张小明", "张小红"}
    page = client.get(reverse("school:roster_job", args=[job.pk])).content.decode()
    assert "导入完成" in page and "新增学生" in page
    status = client.get(reverse("school:roster_job_status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in status  # finished: the page stops polling


def test_an_upload_with_errors_shows_them_all_and_writes_nothing(
        login, world, tmp_path, django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    before = counts()
    records = [student("2024070301", "张小明", phone="12345"),
               student("2024070302", "", homeroom="九班九", phone="13800000002", guardian="李强")]
    path = write_xlsx(tmp_path / "a.xlsx", table(records))
    response = post_roster(client, path, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "监护人电话"), (3, "姓名"),
                                                              (3, "班级")}
    page = client.get(response["Location"]).content.decode()
    assert "发现 3 处错误，整个文件都没有导入" in page
    assert "「12345」不是有效的 11 位手机号码。" in page
    assert "无法识别班级「九班九」" in page
    assert counts() == before


def test_a_running_job_polls_every_second(login, world):
    job = ImportJob.objects.create(school=world.school, kind=STUDENTS, file="imports/x.xlsx",
                                   original_name="x.xlsx", status=ImportJob.Status.RUNNING,
                                   total_rows=5000, processed_rows=1250)
    client = login(world.coordinator)
    page = client.get(reverse("school:roster_job", args=[job.pk])).content.decode()
    url = reverse("school:roster_job_status", args=[job.pk])
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 1s"' in page
    status = client.get(url).content.decode()
    assert "1250 / 5000" in status and "25%" in status and "<html" not in status


def test_another_schools_job_is_not_found(login, world, tmp_path):
    job = ImportJob.objects.create(school=world.school, kind=STUDENTS, file="imports/x.xlsx",
                                   original_name="x.xlsx")
    client = login(world.foreign_coordinator)
    assert client.get(reverse("school:roster_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("school:roster_job_status", args=[job.pk])).status_code == 404


def test_not_an_xlsx_is_refused_by_the_form(login, world):
    client = login(world.coordinator)
    response = client.post(reverse("school:roster_upload"), {
        "kind": STUDENTS, "file": SimpleUploadedFile("名册.xls", b"old", content_type="x")})
    assert response.status_code == 200
    assert "请上传 .xlsx 格式的 Excel 文件。" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_staff_roster_upload(login, world, tmp_path, django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    path = write_xlsx(tmp_path / "s.xlsx", [["姓名", "手机号", "任教学科", "类别", "班主任班级"],
                                            ["新老师", "13900000001", "数学", "校内", "七年级2班"]])
    post_roster(client, path, STAFF, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "done", job.errors
    assert job.summary["staff_created"] == 1
    world.other_homeroom.refresh_from_db()
    assert world.other_homeroom.head_teacher == Staff.objects.get(phone="13900000001")


# ------------------------------------------------------------------ exports

def export_to_file(response, tmp_path, name="export.xlsx"):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def test_school_export_reimports_unchanged(login, world, tmp_path):
    # Only the office's file with full phone numbers (asked, with a reason) imports back.
    response = login(world.coordinator).post(reverse("school:roster_export"), {
        "scope": "school", "full_phones": "1", "reason": "核对后重新导入名册"})
    filename = f"{world.school.name}学生名册.xlsx"
    assert f"filename*=utf-8''{quote(filename)}" in response["Content-Disposition"]
    path = export_to_file(response, tmp_path)
    rows = list(load_workbook(path).active.values)
    assert rows[0][:5] == ("学籍号", "姓名", "性别", "年级", "班级")
    assert len(rows) == 1 + 3  # this school's three students, not the other school's
    before = counts()
    result = roster_import(school=world.school, path_or_file=path, kind=STUDENTS)
    assert result.summary == {"students_created": 0, "students_updated": 0, "students_unchanged": 3,
                              "guardians_created": 0, "homerooms_created": 0}
    assert counts() == before


def test_staff_export_reimports_unchanged(login, world, tmp_path):
    path = export_to_file(login(world.coordinator).get(reverse("school:roster_export_staff")),
                          tmp_path)
    result = roster_import(school=world.school, path_or_file=path, kind=STAFF)
    assert result.ok, result.errors
    staff = Staff.objects.filter(school=world.school).count()
    assert result.summary == {"staff_created": 0, "staff_updated": 0, "staff_unchanged": staff}


def test_homeroom_teacher_exports_only_their_own_homeroom(login, world, tmp_path):
    client = login(world.homeroom_teacher.user)
    path = export_to_file(client.get(reverse("school:roster_export_homeroom",
                                             args=[world.homeroom.pk])), tmp_path)
    names = {row[1] for row in list(load_workbook(path).active.values)[1:]}
    assert names == {"张小明", "李华"}
    other = client.get(reverse("school:roster_export_homeroom", args=[world.other_homeroom.pk]))
    assert other.status_code == 404
    assert client.get(reverse("school:roster_export_school")).status_code == 403


def test_grade_export_for_the_principal(login, world, tmp_path):
    client = login(world.principal)
    grade = world.homeroom.grade
    path = export_to_file(client.get(reverse("school:roster_export_grade", args=[grade.pk])),
                          tmp_path)
    assert len(list(load_workbook(path).active.values)) == 1 + 3
    foreign_grade = world.foreign_student.homeroom.grade
    assert client.get(reverse("school:roster_export_grade",
                              args=[foreign_grade.pk])).status_code == 404
    assert client.get(reverse("school:roster_export")).status_code == 200


def test_guardian_cannot_export(login, world):
    client = login(world.guardian.user)
    assert client.get(reverse("school:roster_export_homeroom",
                              args=[world.homeroom.pk])).status_code == 403


def test_templates_have_the_import_headers(login, world):
    client = login(world.coordinator)
    response = client.get(reverse("school:roster_template", args=["students"]))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    rows = list(sheet.values)
    assert rows[1][:3] == ("学籍号", "姓名", "性别") and rows[2][1] == "张三"
    staff = load_workbook(BytesIO(client.get(
        reverse("school:roster_template", args=["staff"])).content)).worksheets[0]
    assert list(staff.values)[1][:2] == ("姓名", "手机号")
    assert client.get(reverse("school:roster_template", args=["nope"])).status_code == 404


def test_links_in_menu_home_and_homeroom_page(login, world):
    client = login(world.coordinator)
    home = client.get(reverse("school:home")).content.decode()
    assert reverse("school:roster_upload") in home and reverse("school:roster_export") in home
    detail = client.get(reverse("school:homeroom_detail", args=[world.homeroom.pk])).content.decode()
    assert reverse("school:roster_export_homeroom", args=[world.homeroom.pk]) in detail
    teacher_home = login(world.homeroom_teacher.user).get(reverse("school:home")).content.decode()
    assert reverse("school:roster_upload") not in teacher_home
