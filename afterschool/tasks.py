"""Celery tasks of the core: thin, take ids, call a service, own retries and limits."""

import datetime as dt
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from .dispatch import DATABASE_ERRORS, database_retry, publish
from .notifications import TASK_BATCH
from .notifications.sending import deliveries_due, deliveries_send

# The roster import's hard limit; a job silent for longer lost its worker (the sweep).
ROSTER_IMPORT_TIME_LIMIT = 11 * 60


@shared_task(bind=True, max_retries=5, soft_time_limit=10 * 60, time_limit=11 * 60)
def deliveries_send_task(self, delivery_ids: list[int]) -> dict:
    """Send these e-mails and SMS, each once (see ``notifications.sending``).

    A database error retries the batch with backoff; rows already sent are skipped, and rows
    left pending are found by the sweep anyway.
    """
    try:
        return deliveries_send(delivery_ids=delivery_ids)
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=lambda: {})


@shared_task(bind=True, max_retries=3, soft_time_limit=50, time_limit=60)
def deliveries_sweep_task(self) -> int:
    """Every minute: queue the deliveries no task is about to send (beat)."""
    try:
        ids = deliveries_due()
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=lambda: 0)
    for start in range(0, len(ids), TASK_BATCH):
        publish(deliveries_send_task, ids[start:start + TASK_BATCH])
    return len(ids)


@shared_task(bind=True, max_retries=3, soft_time_limit=10 * 60,
             time_limit=ROSTER_IMPORT_TIME_LIMIT)
def roster_import_task(self, job_id: int) -> str | None:
    """Validate and write one uploaded roster; progress and outcome are kept on the ImportJob.

    A file with errors fails the same way every time, and the job records why: no retry. A
    database error (connection dropped) is retried on a new connection with backoff; after the
    last retry the job is marked failed with the reason. Running it twice is safe (see
    ``import_job_run``). Run eagerly (no worker), it runs inside the upload's request, where
    only smaller files are accepted.
    """
    from .roster.jobs import import_job_give_up, import_job_run

    try:
        job = import_job_run(job_id=job_id, inline=bool(self.request.is_eager),
                             task_id=self.request.id or "")
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=partial(import_job_give_up, job_id=job_id,
                                                         error=exc))
    return job.status if job else None


@shared_task(bind=True, max_retries=3, soft_time_limit=50, time_limit=60)
def import_jobs_sweep_task(self) -> dict:
    """Every minute: queue the jobs never queued, interrupt those whose worker vanished."""
    from .roster.jobs import import_jobs_sweep

    try:
        queue, interrupted = import_jobs_sweep(
            stale_after=dt.timedelta(seconds=ROSTER_IMPORT_TIME_LIMIT + 60))
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=dict)
    for job_id in queue:
        publish(roster_import_task, job_id)
    return {"queued": len(queue), "interrupted": interrupted}


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def sessions_clear_task() -> None:
    """Daily: delete expired sessions (they live in the database)."""
    call_command("clearsessions")


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def login_records_clear_task() -> int:
    """Daily: drop login-lockout and wrong-activation-code records past their retention."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from .models import ActivationFailure

    cutoff = timezone.now() - dt.timedelta(days=settings.LOGIN_RECORDS_RETENTION_DAYS)
    removed = ActivationFailure.objects.filter(at__lt=cutoff).delete()[0]
    removed += AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    removed += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    removed += AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return removed


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def import_job_files_purge_task() -> int:
    """Delete uploaded roster files kept past ``IMPORT_FILE_RETENTION_HOURS`` (periodic)."""
    from .roster import import_job_files_purge

    return import_job_files_purge()
