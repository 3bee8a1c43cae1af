"""A roster naming a grade or homeroom the school lacks writes nothing until someone confirms."""

from pathlib import Path

import pytest
from django.urls import reverse

from afterschool.models import Grade, Homeroom, ImportJob, Student
from afterschool.roster import preview_lines, roster_import
from tests.afterschool.test_roster import student, table, write_xlsx
from tests.afterschool.test_roster_views import post_roster


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.IMPORT_FILE_RETENTION_HOURS = 0


def _file(tmp_path, *records):
    return write_xlsx(tmp_path / "a.xlsx", table(list(records)))


def test_an_unknown_homeroom_is_previewed_not_created(world, tmp_path):
    # The world's grade 7 has 1班 and 2班; "23班" is a typo more often than a new class.
    path = _file(tmp_path, student("2024070101", "张三", "7-1"),
                 student("2024072301", "李四", "七年级23班", phone="13800000002"))
    before = (Student.objects.count(), Homeroom.objects.count())
    result = roster_import(school=world.school, path_or_file=path)
    assert result.ok and result.needs_confirmation
    assert preview_lines(result.preview) == ["将新增班级：七年级23班（1 名学生）"]
    assert (Student.objects.count(), Homeroom.objects.count()) == before
    assert result.summary == {}

    result = roster_import(school=world.school, path_or_file=path, create_homerooms=True)
    assert result.ok and not result.needs_confirmation
    assert result.summary["homerooms_created"] == 1
    assert Student.objects.get(name="李四").homeroom.number == 23


def test_a_new_grade_is_previewed_too(world, tmp_path):
    path = _file(tmp_path, student("2024080101", "王五", "8-1"))
    result = roster_import(school=world.school, path_or_file=path)
    assert preview_lines(result.preview) == ["将新增年级：八年级", "将新增班级：八年级1班（1 名学生）"]
    assert not Grade.objects.filter(school=world.school, number=8).exists()


def test_known_homerooms_import_at_once(world, tmp_path):
    path = _file(tmp_path, student("2024070101", "张三", "7-1"))
    result = roster_import(school=world.school, path_or_file=path)
    assert result.ok and not result.needs_confirmation and result.summary["students_created"] == 1


def test_the_page_previews_then_confirm_imports(login, world, tmp_path,
                                               django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    path = _file(tmp_path, student("2024072301", "李四", "七年级23班"))
    post_roster(client, path, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.AWAITING and job.file.name  # kept for the confirm
    page = client.get(reverse("school:roster_job", args=[job.pk])).content.decode()
    assert "将新增班级：七年级23班（1 名学生）" in page and "确认新增并导入" in page
    assert not Student.objects.filter(name="李四").exists()
    # Another school's coordinator cannot confirm it.
    other = login(world.foreign_coordinator)
    assert other.post(reverse("school:roster_job_confirm", args=[job.pk])).status_code == 404
    client = login(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("school:roster_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.summary["homerooms_created"] == 1
    assert Student.objects.get(name="李四").homeroom.number == 23
    assert job.file.name == ""


def test_cancel_writes_nothing_and_deletes_the_file(login, world, tmp_path,
                                                   django_capture_on_commit_callbacks):
    client = login(world.coordinator)
    post_roster(client, _file(tmp_path, student("2024072301", "李四", "七年级23班")),
                capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    stored = Path(job.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("school:roster_job_cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and not stored.exists()
    assert not Student.objects.filter(name="李四").exists()
    assert not Homeroom.objects.filter(number=23).exists()
    # A second confirm or cancel is refused with a message, not an error page.
    again = client.post(reverse("school:roster_job_confirm", args=[job.pk]), follow=True)
    assert "不在等待确认" in again.content.decode()
