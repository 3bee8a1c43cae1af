"""The upload page's path: an :class:`ImportJob` per file, run by Celery, with progress."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ..access import Actor, require
from ..models import ImportJob, Role
from .errors import TOO_MANY_ROWS, TOO_MANY_ROWS_INLINE, UNEXPECTED_ERROR, RowError
from .importing import ImportResult, roster_import

logger = logging.getLogger(__name__)


@transaction.atomic
def import_job_create(*, actor: Actor, kind: str, file) -> ImportJob:
    """Keep the uploaded file and queue its import once the job row is committed."""
    require(actor, Role.COORDINATOR)
    original_name = getattr(file, "name", "")[:200]
    # Stored under a name of our own: the person's file name may carry a child's or a class's
    # name, and the page shows original_name anyway.
    file.name = f"{kind}-{uuid.uuid4().hex}.xlsx"
    job = ImportJob(school=actor.school, kind=kind, file=file, original_name=original_name,
                    created_by=actor.user)
    job.full_clean()
    job.save()
    from ..tasks import roster_import_task

    transaction.on_commit(lambda: roster_import_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int, inline: bool = False) -> ImportJob | None:
    """Run one queued import, recording progress, then the summary or the errors.

    ``inline``: the import runs inside the upload's request (no worker), so a file of more than
    ``settings.ROSTER_INLINE_MAX_ROWS`` rows is refused with a message saying what to do.

    Safe to run twice: a finished job is left alone, and a job interrupted midway (a worker
    that died) runs again — importing the same file twice changes nothing the second time.
    The uploaded file is deleted when the job ends, unless ``IMPORT_FILE_RETENTION_HOURS``
    keeps it for :func:`import_job_files_purge`.
    """
    claimed = (ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.PENDING,
                                                               ImportJob.Status.RUNNING])
               .update(status=ImportJob.Status.RUNNING, processed_rows=0))
    if not claimed:
        return None
    job = ImportJob.objects.select_related("school").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    max_rows, too_many_rows = settings.ROSTER_MAX_ROWS, TOO_MANY_ROWS
    if inline and settings.ROSTER_INLINE_MAX_ROWS < max_rows:
        max_rows, too_many_rows = settings.ROSTER_INLINE_MAX_ROWS, TOO_MANY_ROWS_INLINE
    try:
        with job.file.open("rb") as fh:
            result = roster_import(school=job.school, path_or_file=fh, kind=job.kind,
                                   progress=progress, max_rows=max_rows,
                                   too_many_rows=too_many_rows)
    except Exception:  # any failure must end as a failed job the page can show, not a spinner
        logger.exception("roster import job %s failed", job_id)
        result = ImportResult(kind=job.kind, errors=[RowError(None, "", UNEXPECTED_ERROR)],
                              error_count=1)
    job.refresh_from_db(fields=["total_rows"])
    job.total_rows = result.total_rows or job.total_rows
    job.processed_rows = job.total_rows if result.ok else job.processed_rows
    job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED
    job.summary = ({**result.summary, "notes": result.notes} if result.ok
                   else {"error_count": result.error_count})
    job.errors = [e.as_dict() for e in result.errors]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "total_rows", "processed_rows", "summary", "errors",
                            "finished_at"])
    if settings.IMPORT_FILE_RETENTION_HOURS <= 0:
        _job_file_delete(job)
    return job


def _job_file_delete(job: ImportJob) -> None:
    """Delete a job's uploaded file; the job keeps its name, counts and errors."""
    name = job.file.name
    if not name:
        return
    try:
        job.file.storage.delete(name)
        # Uploads before private storage were kept under MEDIA_ROOT, where anyone could
        # fetch them: remove such a public copy too.
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("could not delete the file of roster import job %s", job.pk,
                       exc_info=True)
        return
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file.name = ""


def import_job_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of jobs that finished more than the retention time ago.

    For a periodic task (``afterschool.tasks.import_job_files_purge_task``): with
    ``IMPORT_FILE_RETENTION_HOURS = 0`` each job deletes its file as it ends, and this only
    catches a file whose deletion failed and uploads kept before that. A job still pending or
    running keeps its file. Returns how many jobs were cleared.
    """
    hours = max(settings.IMPORT_FILE_RETENTION_HOURS, 0)
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    jobs = (ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED],
                                     finished_at__lte=cutoff)
            .exclude(file="").only("pk", "file"))
    count = 0
    for job in jobs:
        _job_file_delete(job)
        count += 1
    return count
