"""A whole school's roster (5,000 rows) through the upload page and the Celery task."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from afterschool import roster
from afterschool.models import Guardian, Homeroom, ImportJob, Student, StudentGuardian
from tests.afterschool.test_celery_worker import worker  # noqa: F401  (a fixture)
from tests.afterschool.test_roster import HEADERS

pytestmark = pytest.mark.django_db

ROWS = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def big_roster(path, rows=ROWS):
    """Grades 7–9 of 20 homerooms; every two students are siblings sharing a guardian."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("学生名册")
    sheet.append(["某某中学学生名册"])
    sheet.append(HEADERS)
    for i in range(rows):
        family = i // 2
        sheet.append([2025000000 + i, f"学生{i}", "男" if i % 2 else "女", "",
                      f"{7 + i % 3}-{i % 20 + 1}", "是" if i % 5 == 0 else "否", f"家长{family}",
                      f"138{family:08d}", "母亲"])
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def test_five_thousand_rows_through_the_task(login, world, tmp_path,
                                            django_capture_on_commit_callbacks,
                                            django_assert_max_num_queries):
    path = big_roster(tmp_path / "big.xlsx")
    client = login(world.coordinator)
    started = time.perf_counter()
    # Bulk queries, not one per row: a generous ceiling far below 5,000.
    with django_assert_max_num_queries(200), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("school:roster_upload"), {
            "kind": roster.STUDENTS,
            "file": SimpleUploadedFile("全校名册.xlsx", path.read_bytes(), content_type=XLSX)})
    elapsed = time.perf_counter() - started
    print(f"\n5,000-row import through the upload view and task: {elapsed:.2f}s")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    # 58 homerooms are new to the school: previewed, then confirmed.
    assert job.status == ImportJob.Status.AWAITING, job.errors[:5]
    assert len(job.summary["preview"]["homerooms"]) == 58
    with django_assert_max_num_queries(200), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("school:roster_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors[:5]
    assert (job.total_rows, job.processed_rows) == (ROWS, ROWS)
    assert job.summary["students_created"] == ROWS
    assert job.summary["guardians_created"] == ROWS // 2
    assert job.summary["homerooms_created"] == 58  # 七年级1班 and 2班 exist already
    school_students = Student.objects.filter(school=world.school)
    assert school_students.filter(student_no__startswith="202500").count() == ROWS
    assert Guardian.objects.filter(phone__startswith="138").count() == ROWS // 2
    assert StudentGuardian.objects.filter(guardian__phone__startswith="138").count() == ROWS
    assert Homeroom.objects.filter(school=world.school).count() == 60


def test_progress_is_recorded_every_few_hundred_rows(world, tmp_path):
    path = big_roster(tmp_path / "big.xlsx", rows=600)
    calls = []
    result = roster.roster_import(school=world.school, path_or_file=path,
                                  progress=lambda done, total: calls.append((done, total)))
    assert result.ok
    assert calls == [(0, 600), (250, 600), (500, 600), (600, 600)]


@pytest.mark.celery_worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_a_real_worker_imports(worker, tmp_path):  # noqa: F811
    """Through Redis to a worker thread: the page's poll sees rows counted before the end."""
    from afterschool.access import actor_for
    from tests import factories
    from tests.afterschool.test_celery_worker import wait_for

    school = factories.SchoolFactory(code="big")
    coordinator = factories.StaffFactory(school=school)
    factories.grant(coordinator.user, "coordinator", school)
    path = big_roster(tmp_path / "big.xlsx")
    job = roster.import_job_create(
        actor=actor_for(coordinator.user, school), kind=roster.STUDENTS,
        file=SimpleUploadedFile("全校名册.xlsx", path.read_bytes(), content_type=XLSX))
    seen = set()

    def finished():
        current = ImportJob.objects.get(pk=job.pk)
        if current.status == ImportJob.Status.RUNNING:
            seen.add(current.processed_rows)
        return current.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED,
                                  ImportJob.Status.AWAITING)

    assert wait_for(finished, timeout=120), "the worker did not finish the import in 120 s"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.AWAITING  # a new school: every homeroom is new
    roster.import_job_confirm(actor=actor_for(coordinator.user, school), job=job)
    assert wait_for(finished, timeout=120), "the worker did not finish the import in 120 s"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors[:5]
    assert Student.objects.filter(school=school).count() == ROWS
    assert any(0 < n < ROWS for n in seen), seen
