"""Celery tasks of the core: thin, take ids, call a service, own retries and limits."""

from celery import shared_task

from .models import Notice
from .services import notice_send_email


@shared_task(bind=True, max_retries=5, default_retry_delay=60, soft_time_limit=30, time_limit=60)
def notice_email_task(self, notice_id: int, address: str) -> bool:
    notice = Notice.objects.filter(pk=notice_id).select_related("school").first()
    if notice is None:
        return False
    try:
        return notice_send_email(notice=notice, address=address)
    except OSError as exc:  # the mail server is down or refused: try later
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def roster_import_task(self, job_id: int) -> str | None:
    """Validate and write one uploaded roster; progress and outcome are kept on the ImportJob.

    No retries: a file with errors fails the same way every time, and the job records why.
    Running it twice is safe (see ``import_job_run``). Run eagerly (no worker), it runs inside
    the upload's request, where only smaller files are accepted.
    """
    from .roster import import_job_run

    job = import_job_run(job_id=job_id, inline=bool(self.request.is_eager))
    return job.status if job else None


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def import_job_files_purge_task() -> int:
    """Delete uploaded roster files kept past ``IMPORT_FILE_RETENTION_HOURS`` (periodic)."""
    from .roster import import_job_files_purge

    return import_job_files_purge()
