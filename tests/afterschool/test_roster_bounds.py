"""Roster imports that cannot exhaust the server, and uploads that never become public.

A row cap read while streaming, a cap on listed errors (with the total), headers that are
explained when none match, large files refused when no worker runs, and uploaded files kept in
private storage outside MEDIA_ROOT and deleted when their job ends.
"""

import datetime as dt
import importlib
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import clear_url_caches, reverse
from django.utils import timezone
from openpyxl import Workbook

from afterschool import roster
from afterschool.models import ImportJob, Student
from afterschool.roster import (
    EMPTY_FILE,
    MAX_LISTED_ERRORS,
    STUDENTS,
    import_job_files_purge,
    import_job_run,
    roster_import,
)
from afterschool.storage import PrivateStorage
from tests.afterschool.test_roster import HEADERS, student, table, write_xlsx

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def homeroom_7_3(world):
    """The homeroom the rows name exists, so an upload imports without a preview."""
    from tests import factories

    return factories.HomeroomFactory(school=world.school, grade=world.homeroom.grade, number=3)


@pytest.fixture(autouse=True)
def storage_roots(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.IMPORT_FILE_RETENTION_HOURS = 0


def students(n, *, phone=None):
    """``n`` valid rows (each its own family), or all with the same bad ``phone``."""
    return [student(f"2025{i:06d}", f"学生{i}", phone=phone or f"139{i:08d}", guardian=f"家长{i}")
            for i in range(n)]


def upload(client, path, capture, name="七年级名册.xlsx"):
    with capture(execute=True):
        return client.post(reverse("school:roster_upload"), {
            "kind": STUDENTS, "file": SimpleUploadedFile(name, path.read_bytes(),
                                                         content_type=XLSX)})


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


# ------------------------------------------------------------------ the row cap

def test_a_file_over_the_row_cap_is_refused_with_its_size(world, tmp_path, settings):
    settings.ROSTER_MAX_ROWS = 50
    path = write_xlsx(tmp_path / "big.xlsx", table(students(80)))  # declares its size: A1:I81
    result = roster_import(school=world.school, path_or_file=path)
    assert [e.message for e in result.errors] == [
        "名册最多 50 行，本文件有 80 行。请把文件分成几个不超过 50 行的文件分别导入。"]
    assert not Student.objects.filter(student_no__startswith="2025").exists()


def test_the_row_cap_stops_reading_at_the_cap(world, tmp_path, settings, monkeypatch):
    """A file that does not declare its size (write-only exporters) is read only up to the cap."""
    settings.ROSTER_MAX_ROWS = 100
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名册")
    sheet.append(HEADERS)
    for i in range(3000):
        sheet.append([f"2025{i:06d}", "同一个学生", "男", "", "7-3", "否", "王丽", "13800000001",
                      "母亲"])
    path = tmp_path / "same.xlsx"
    workbook.save(path)
    rows_looked_at = []
    real = roster.reading.clean_text
    monkeypatch.setattr(roster.reading, "clean_text",
                        lambda value: rows_looked_at.append(1) or real(value))
    result = roster_import(school=world.school, path_or_file=path)
    assert [e.message for e in result.errors] == [
        "名册最多 100 行，本文件超过 100 行。请把文件分成几个不超过 100 行的文件分别导入。"]
    assert len(rows_looked_at) < 500  # not 3,000 rows: reading stopped at the 101st


def test_opening_a_file_does_not_parse_it_whole(world, tmp_path, settings):
    """openpyxl looks for a declared size to the end of the sheet; here it stops at the data.

    The sheet below is cut off (unreadable) after its 150th row: opening it must not get there,
    and the cap refuses it after 101 rows.
    """
    settings.ROSTER_MAX_ROWS = 100
    workbook = Workbook(write_only=True)  # declares no size
    sheet = workbook.create_sheet("名册")
    sheet.append(HEADERS)
    for i in range(400):
        sheet.append([f"2025{i:06d}", f"学生{i}", "男", "", "7-3", "否", "王丽", "13800000001", "母亲"])
    whole = tmp_path / "whole.xlsx"
    workbook.save(whole)
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:data.index(b'<row r="152"')]
            target.writestr(item, data)
    result = roster_import(school=world.school, path_or_file=cut)
    assert [e.message for e in result.errors] == [
        "名册最多 100 行，本文件超过 100 行。请把文件分成几个不超过 100 行的文件分别导入。"]


def test_a_file_at_the_cap_is_imported(world, tmp_path, settings):
    settings.ROSTER_MAX_ROWS = 30
    result = roster_import(school=world.school,
                           path_or_file=write_xlsx(tmp_path / "a.xlsx", table(students(30))))
    assert result.ok, result.errors[:3]
    assert result.summary["students_created"] == 30


# ------------------------------------------------------------------ the error cap

def test_only_the_first_errors_are_kept_with_the_total(world, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", table(students(MAX_LISTED_ERRORS + 50,
                                                            phone="12345")))
    result = roster_import(school=world.school, path_or_file=path)
    assert len(result.errors) == MAX_LISTED_ERRORS
    assert result.error_count == MAX_LISTED_ERRORS + 50
    assert result.errors_not_listed == 50
    assert [e.row for e in result.errors] == list(range(2, MAX_LISTED_ERRORS + 2))


def test_the_job_page_shows_the_total_and_how_many_are_not_listed(
        login, world, tmp_path, django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    path = write_xlsx(tmp_path / "bad.xlsx", table(students(MAX_LISTED_ERRORS + 50,
                                                            phone="12345")))
    response = upload(client, path, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == MAX_LISTED_ERRORS
    assert job.summary == {"error_count": MAX_LISTED_ERRORS + 50}
    page = client.get(response["Location"]).content.decode()
    assert f"发现 {MAX_LISTED_ERRORS + 50} 处错误" in page
    assert f"另有 50 处错误未列出（只列出前 {MAX_LISTED_ERRORS} 处）" in page
    assert page.count("不是有效的 11 位手机号码") == MAX_LISTED_ERRORS


def test_the_command_counts_every_error(world, tmp_path, capsys):
    path = write_xlsx(tmp_path / "bad.xlsx", table(students(MAX_LISTED_ERRORS + 5,
                                                            phone="12345")))
    with pytest.raises(SystemExit):
        call_command("import_roster", str(path), "--school", world.school.code)
    err = capsys.readouterr().err
    assert f"另有 5 处错误未列出（只列出前 {MAX_LISTED_ERRORS} 处）。" in err
    assert f"共 {MAX_LISTED_ERRORS + 5} 处错误，没有写入任何数据。" in err
    with pytest.raises(SystemExit):
        call_command("import_roster", str(path), "--school", world.school.code, "--json")
    data = json.loads(capsys.readouterr().out)
    assert len(data["errors"]) == MAX_LISTED_ERRORS and data["errors_not_listed"] == 5


# ------------------------------------------------------------------ headers

def test_unrecognised_headers_name_what_was_expected_and_what_was_found(world, tmp_path):
    path = write_xlsx(tmp_path / "odd.xlsx", [["七年级花名册"], ["编号", "名字", "电话号码", "住址"],
                                              ["1", "张三", "13800000001", "城关镇"]])
    result = roster_import(school=world.school, path_or_file=path)
    [error] = result.errors
    assert error.message != EMPTY_FILE
    for expected in ("「学籍号」", "「姓名」", "「班级」", "「监护人姓名」", "「监护人电话」"):
        assert expected in error.message
    assert "第 2 行：「编号」、「名字」、「电话号码」、「住址」" in error.message


def test_a_truly_empty_file_still_says_so(world, tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [[None]])
    assert [e.message for e in roster_import(school=world.school, path_or_file=path).errors] == [
        EMPTY_FILE]


# ------------------------------------------------------------------ no worker

def test_without_a_worker_a_large_file_is_refused_not_run_in_the_request(
        login, world, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.ROSTER_INLINE_MAX_ROWS = 20
    client = login(world.coordinator)
    page = client.get(reverse("school:roster_upload")).content.decode()
    assert "一次最多 20 行" in page  # said before the upload, too
    path = write_xlsx(tmp_path / "big.xlsx", table(students(30)))
    response = upload(client, path, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    [error] = job.errors
    assert "一次最多 20 行，本文件有 30 行" in error["message"]
    assert "分成几个" in error["message"] and "后台任务进程（worker）" in error["message"]
    assert not Student.objects.filter(student_no__startswith="2025").exists()
    assert "一次最多 20 行" in client.get(response["Location"]).content.decode()


def test_a_worker_takes_the_same_file(world, tmp_path, settings):
    """The limit is for imports inside a request only: the task run by a worker has none."""
    settings.ROSTER_INLINE_MAX_ROWS = 20
    settings.IMPORT_FILE_RETENTION_HOURS = 1
    path = write_xlsx(tmp_path / "big.xlsx", table(students(30)))
    job = ImportJob.objects.create(
        school=world.school, kind=STUDENTS, original_name="big.xlsx",
        file=SimpleUploadedFile("students-x.xlsx", path.read_bytes(), content_type=XLSX))
    assert import_job_run(job_id=job.pk, inline=True).status == ImportJob.Status.FAILED
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status"])
    assert import_job_run(job_id=job.pk, inline=False).status == ImportJob.Status.DONE
    assert Student.objects.filter(student_no__startswith="2025").count() == 30


# ------------------------------------------------------------------ private storage

def test_the_upload_is_private_while_kept_then_deleted(
        login, world, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_FILE_RETENTION_HOURS = 24
    client = login(world.coordinator)
    path = write_xlsx(tmp_path / "a.xlsx", table(students(2)))
    upload(client, path, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    # Stored under a name of our own (the person's may name a child), outside MEDIA_ROOT.
    assert job.file.name.startswith("imports/") and "名册" not in job.file.name
    stored = Path(job.file.path)
    assert stored.is_file()
    assert stored.is_relative_to(tmp_path / "private")
    assert files_under(settings.MEDIA_ROOT) == []
    with pytest.raises(ValueError):
        job.file.url  # noqa: B018  (no public address)

    # Kept for the retention time, then the periodic purge deletes it.
    assert import_job_files_purge() == 0 and stored.is_file()
    assert import_job_files_purge(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not stored.exists()
    job.refresh_from_db()
    assert job.file.name == "" and job.summary["students_created"] == 2


@pytest.mark.parametrize("rows", [students(2), students(2, phone="12345")],
                         ids=["done", "failed"])
def test_the_upload_is_deleted_when_the_job_ends(login, world, tmp_path, rows,
                                                 django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    upload(client, write_xlsx(tmp_path / "a.xlsx", table(rows)),
           django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    assert job.file.name == ""
    assert files_under(tmp_path / "private") == []
    assert files_under(tmp_path / "media") == []


def test_the_purge_leaves_running_jobs_alone(world, tmp_path, settings):
    settings.IMPORT_FILE_RETENTION_HOURS = 0
    job = ImportJob.objects.create(
        school=world.school, kind=STUDENTS, original_name="a.xlsx",
        status=ImportJob.Status.RUNNING,
        file=SimpleUploadedFile("students-y.xlsx", b"PK", content_type=XLSX))
    assert import_job_files_purge() == 0
    assert Path(job.file.path).is_file()


@pytest.fixture
def debug_urls(settings):
    """The project's URLs as they are built under DEBUG (with /media/ served)."""
    import afterschool.urls

    settings.DEBUG = True
    importlib.reload(afterschool.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(afterschool.urls)
    clear_url_caches()


def test_media_under_debug_does_not_serve_the_upload(
        debug_urls, login, world, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_FILE_RETENTION_HOURS = 24
    client = login(world.coordinator)
    upload(client, write_xlsx(tmp_path / "a.xlsx", table(students(2))),
           django_capture_on_commit_callbacks)
    name = ImportJob.objects.get().file.name
    assert name
    assert client.get(f"/media/{name}").status_code == 404
    # …while public files there are served: the route is really there.
    public = Path(settings.MEDIA_ROOT) / "courses" / "poster.txt"
    public.parent.mkdir(parents=True)
    public.write_text("ok")
    assert client.get("/media/courses/poster.txt").status_code == 200


def test_private_root_must_not_be_inside_media_root(settings, tmp_path):
    from afterschool.settings import base

    assert not Path(str(base.PRIVATE_MEDIA_ROOT)).is_relative_to(Path(str(base.MEDIA_ROOT)))
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    with pytest.raises(ImproperlyConfigured):
        PrivateStorage().save("x.txt", SimpleUploadedFile("x.txt", b"x"))


def test_private_uploads_are_shared_by_web_and_worker_in_compose():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name in ("web", "worker"):
        assert "private_media:/app/private_media" in compose["services"][name]["volumes"], name
    assert "private_media" in compose["volumes"]
    assert "/app/private_media" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_the_admin_shows_a_job_without_linking_its_file(client, world):
    from tests import factories

    job = ImportJob.objects.create(
        school=world.school, kind=STUDENTS, original_name="a.xlsx",
        file=SimpleUploadedFile("students-z.xlsx", b"PK", content_type=XLSX))
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:afterschool_importjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert job.file.name not in page.content.decode()
