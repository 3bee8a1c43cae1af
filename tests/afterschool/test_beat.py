"""The beat schedule, declared in one place, names only registered tasks; the sweeps it runs
recover what a broker outage or a vanished worker left behind."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.celery import app
from afterschool.models import ImportJob
from afterschool.roster.jobs import (
    INTERRUPTED,
    import_job_give_up,
    import_job_restart,
    import_job_run,
    import_jobs_sweep,
)


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names <= set(app.tasks), names - set(app.tasks)
    # What the issue asks the beat to do, at least.
    assert {"afterschool.tasks.deliveries_sweep_task", "enrollment.tasks.transitions_sweep_task",
            "arrangement.tasks.arrangements_sweep_task", "afterschool.tasks.import_jobs_sweep_task",
            "afterschool.tasks.sessions_clear_task", "afterschool.tasks.login_records_clear_task",
            "afterschool.tasks.import_job_files_purge_task"} <= names


def test_broker_settings_survive_faults():
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert not getattr(settings, "CELERY_RESULT_BACKEND", None)
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    longest = max(settings.CELERY_TASK_TIME_LIMIT,
                  *(t.time_limit or 0 for t in app.tasks.values()))
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest


@pytest.fixture
def job(world, tmp_path, settings):
    from django.core.files.base import ContentFile

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    job = ImportJob(school=world.school, kind="students", original_name="名册.xlsx",
                    created_by=world.coordinator)
    job.file.save("students-test.xlsx", ContentFile(b"not really xlsx"), save=False)
    job.save()
    return job


def test_sweep_queues_a_pending_job_and_interrupts_a_silent_one(job):
    stale = dt.timedelta(minutes=12)
    now = timezone.now()
    assert import_jobs_sweep(stale_after=stale, now=now) == ([], 0)  # just uploaded
    later = now + dt.timedelta(minutes=2)
    assert import_jobs_sweep(stale_after=stale, now=later) == ([job.pk], 0)
    assert import_jobs_sweep(stale_after=stale, now=later) == ([], 0)  # once a minute at most
    ImportJob.objects.filter(pk=job.pk).update(status="running", task_id="t1",
                                               updated_at=later)
    assert import_jobs_sweep(stale_after=stale, now=later + dt.timedelta(minutes=5))[1] == 0
    assert import_jobs_sweep(stale_after=stale, now=later + dt.timedelta(minutes=13))[1] == 1
    job.refresh_from_db()
    assert job.status == "interrupted" and job.errors[0]["message"] == INTERRUPTED


def test_an_interrupted_job_can_be_restarted(world, job, login,
                                             django_capture_on_commit_callbacks):
    from django.urls import reverse

    ImportJob.objects.filter(pk=job.pk).update(status="interrupted", attempts=2,
                                               finished_at=timezone.now())
    page = login(world.coordinator).get(reverse("school:roster_job", args=[job.pk]))
    assert "导入已中断" in page.content.decode() and "重新导入" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.coordinator).post(
            reverse("school:roster_job_restart", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    # It ran again (inline here): the file is not a workbook, so a clear failure, not a hang.
    assert job.status == "failed" and job.attempts == 1
    with pytest.raises(Exception, match="只有中断的导入"):
        import_job_restart(actor=actor_for(world.coordinator, world.school), job=job)


def test_a_second_message_for_a_running_job_does_nothing(job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", task_id="first")
    assert import_job_run(job_id=job.pk, task_id="second") is None
    # The same task redelivered (its worker died) runs it again and counts the attempt.
    assert import_job_run(job_id=job.pk, task_id="first").status == "failed"
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_job_redelivered_too_often_fails_with_the_reason(job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", task_id="t", attempts=5)
    assert import_job_run(job_id=job.pk, task_id="t").status == "failed"
    job.refresh_from_db()
    assert "导入了 5 次都在中途中断" in job.errors[0]["message"]


def test_giving_up_after_database_errors_records_why(job):
    from django.db import OperationalError

    ImportJob.objects.filter(pk=job.pk).update(status="running")
    import_job_give_up(job_id=job.pk, error=OperationalError("terminated"))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.errors[0]["message"].startswith("导入失败：数据库连接中断")


def test_login_records_are_cleared_after_retention(world):
    from axes.models import AccessAttempt

    from afterschool.models import ActivationFailure
    from afterschool.tasks import login_records_clear_task

    old = timezone.now() - dt.timedelta(days=settings.LOGIN_RECORDS_RETENTION_DAYS + 1)
    ActivationFailure.objects.create(phone="13900000000", at=old)
    ActivationFailure.objects.create(phone="13900000001")
    attempt = AccessAttempt.objects.create(username="13900000000", failures_since_start=1)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=old)
    assert login_records_clear_task() == 2
    assert ActivationFailure.objects.count() == 1
