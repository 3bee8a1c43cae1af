"""The upload page's path: an :class:`ImportJob` per file, run by Celery, with progress."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..access import Actor, require
from ..dispatch import DATABASE_ERRORS, publish_on_commit
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

    # Queued after commit; if the broker is down the page still shows the job, pending, and
    # the beat sweep queues it (import_jobs_sweep).
    publish_on_commit(roster_import_task, job.pk)
    return job


# Runs of one job (redeliveries after a worker died, retries after a database error) before it
# is failed with the reason instead of trying forever.
MAX_ATTEMPTS = 5


def import_job_run(*, job_id: int, inline: bool = False, task_id: str = "") -> ImportJob | None:
    """Run one queued import, recording progress, then the summary or the errors.

    ``inline``: the import runs inside the upload's request (no worker), so a file of more than
    ``settings.ROSTER_INLINE_MAX_ROWS`` rows is refused with a message saying what to do.

    Safe to run twice: a finished job is left alone, and a job interrupted midway (a worker
    that died) runs again — importing the same file twice changes nothing the second time.
    The uploaded file is deleted when the job ends, unless ``IMPORT_FILE_RETENTION_HOURS``
    keeps it for :func:`import_job_files_purge`.

    Claimed once: a pending job, or a running one whose task this is (redelivered after its
    worker died, or retried after a database error). A second message for a job another worker
    is running (the sweep queued it again) does nothing. Each run counts an attempt and keeps
    ``updated_at`` as a heartbeat; past ``MAX_ATTEMPTS`` the job fails with the reason.
    """
    now = timezone.now()
    mine = Q(status=ImportJob.Status.RUNNING, task_id=task_id) if task_id else Q(pk__in=[])
    claimed = (ImportJob.objects.filter(pk=job_id)
               .filter(Q(status=ImportJob.Status.PENDING) | mine)
               .update(status=ImportJob.Status.RUNNING, processed_rows=0, task_id=task_id,
                       attempts=F("attempts") + 1, updated_at=now))
    if not claimed:
        return None
    job = ImportJob.objects.select_related("school").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        message = TOO_MANY_ATTEMPTS.format(n=job.attempts - 1)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, errors=[RowError(None, "", message).as_dict()],
            summary={"error_count": 1}, finished_at=now)
        job.refresh_from_db()
        return job

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total,
                                                   updated_at=timezone.now())

    max_rows, too_many_rows = settings.ROSTER_MAX_ROWS, TOO_MANY_ROWS
    if inline and settings.ROSTER_INLINE_MAX_ROWS < max_rows:
        max_rows, too_many_rows = settings.ROSTER_INLINE_MAX_ROWS, TOO_MANY_ROWS_INLINE
    try:
        with job.file.open("rb") as fh:
            result = roster_import(school=job.school, path_or_file=fh, kind=job.kind,
                                   progress=progress, max_rows=max_rows,
                                   too_many_rows=too_many_rows,
                                   create_homerooms=bool(job.summary.get("confirmed")))
    except DATABASE_ERRORS:
        raise  # the connection is gone: the task reconnects and retries (or fails the job)
    except Exception:  # any failure must end as a failed job the page can show, not a spinner
        logger.exception("roster import job %s failed", job_id)
        result = ImportResult(kind=job.kind, errors=[RowError(None, "", UNEXPECTED_ERROR)],
                              error_count=1)
    job.refresh_from_db(fields=["total_rows"])
    if result.needs_confirmation:
        # Nothing written; the file is kept until the coordinator confirms or cancels.
        job.total_rows = result.total_rows or job.total_rows
        job.status = ImportJob.Status.AWAITING
        job.summary = {"preview": result.preview, "notes": result.notes}
        job.updated_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "summary", "updated_at"])
        return job
    job.total_rows = result.total_rows or job.total_rows
    job.processed_rows = job.total_rows if result.ok else job.processed_rows
    job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED
    job.summary = ({**result.summary, "notes": result.notes} if result.ok
                   else {"error_count": result.error_count})
    job.errors = [e.as_dict() for e in result.errors]
    job.finished_at = job.updated_at = timezone.now()
    job.save(update_fields=["status", "total_rows", "processed_rows", "summary", "errors",
                            "finished_at", "updated_at"])
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
        # A copy of the same name under MEDIA_ROOT could be fetched by anyone: an upload
        # never stays there.
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
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=hours)
    # An interrupted job keeps its file a day at least, for "重新导入".
    interrupted_cutoff = now - dt.timedelta(hours=max(hours, INTERRUPTED_FILE_HOURS))
    jobs = (ImportJob.objects.filter(
        Q(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], finished_at__lte=cutoff)
        | Q(status=ImportJob.Status.INTERRUPTED, finished_at__lte=interrupted_cutoff))
            .exclude(file="").only("pk", "file"))
    count = 0
    for job in jobs:
        _job_file_delete(job)
        count += 1
    return count


# --------------------------------------------------------------- faults: retries and the sweep

INTERRUPTED = ("导入中断：处理这个文件的后台进程意外停止，数据没有写入。"
               "可以点击“重新导入”再试一次；如果再次中断，请联系管理员。")
TOO_MANY_ATTEMPTS = ("导入了 {n} 次都在中途中断（后台进程意外停止），已停止，数据没有写入。"
                     "请检查文件，或联系管理员。")
DATABASE_FAILED = "导入失败：数据库连接中断，多次重试仍未成功（{error}），数据没有写入。请稍后重新上传。"
RESTART_REFUSED = "只有中断的导入可以重新导入；这个导入的状态是“{status}”。"
RESTART_NO_FILE = "上传的文件已删除，无法重新导入，请重新上传。"
# A pending job this long after upload was never queued (the broker was down) or lost.
REQUEUE_AFTER = dt.timedelta(seconds=60)
# An interrupted job keeps its file at least this long so it can be restarted.
INTERRUPTED_FILE_HOURS = 24


def import_job_give_up(*, job_id: int, error: Exception) -> str:
    """After the last retry of a database error: the job failed, with the reason."""
    message = DATABASE_FAILED.format(error=error.__class__.__name__)
    ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.PENDING,
                                                    ImportJob.Status.RUNNING]).update(
        status=ImportJob.Status.FAILED, errors=[RowError(None, "", message).as_dict()],
        summary={"error_count": 1}, finished_at=timezone.now(), updated_at=timezone.now())
    return ImportJob.Status.FAILED


def import_jobs_sweep(*, stale_after: dt.timedelta,
                      now: dt.datetime | None = None) -> tuple[list[int], int]:
    """For the beat: jobs to queue again, and how many were marked interrupted.

    A pending job older than a minute was never queued (the broker was down when it was
    uploaded) or its message was lost: its id is returned for queueing, and its heartbeat
    touched so it is queued once a minute at most. A running job silent for longer than the
    task's hard time limit has no worker any more: it is marked interrupted, with the reason,
    and the coordinator may restart it.
    """
    now = now or timezone.now()
    pending = ImportJob.objects.filter(status=ImportJob.Status.PENDING,
                                       updated_at__lte=now - REQUEUE_AFTER)
    queue = list(pending.values_list("pk", flat=True)[:100])
    ImportJob.objects.filter(pk__in=queue).update(updated_at=now)
    interrupted = ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, updated_at__lte=now - stale_after).update(
        status=ImportJob.Status.INTERRUPTED, finished_at=now, updated_at=now,
        errors=[RowError(None, "", INTERRUPTED).as_dict()], summary={"error_count": 1})
    if interrupted:
        logger.warning("%s roster import job(s) marked interrupted", interrupted)
    return queue, interrupted


@transaction.atomic
def import_job_restart(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Queue an interrupted job again, with its kept file, from the start."""
    require(actor, Role.COORDINATOR)
    job = ImportJob.objects.select_for_update().get(pk=job.pk, school=actor.school)
    if job.status != ImportJob.Status.INTERRUPTED:
        raise ValidationError(RESTART_REFUSED.format(status=job.get_status_display()))
    if not job.file.name or not job.file.storage.exists(job.file.name):
        raise ValidationError(RESTART_NO_FILE)
    job.status = ImportJob.Status.PENDING
    job.processed_rows = 0
    job.attempts = 0
    job.task_id = ""
    job.errors = []
    job.summary = {}
    job.finished_at = None
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "processed_rows", "attempts", "task_id", "errors",
                            "summary", "finished_at", "updated_at"])
    from ..tasks import roster_import_task

    publish_on_commit(roster_import_task, job.pk)
    return job


# --------------------------------------------------------------- new grades and homerooms

CONFIRM_REFUSED = "这个导入不在等待确认（状态是“{status}”）。"
CANCELLED = "已取消：没有新增班级，也没有导入任何数据。"


@transaction.atomic
def import_job_confirm(*, actor: Actor, job: ImportJob) -> ImportJob:
    """The coordinator agrees to the grades and homerooms the preview listed: import again,
    now creating them (the same file, so the same ones)."""
    require(actor, Role.COORDINATOR)
    job = ImportJob.objects.select_for_update().get(pk=job.pk, school=actor.school)
    if job.status != ImportJob.Status.AWAITING:
        raise ValidationError(CONFIRM_REFUSED.format(status=job.get_status_display()))
    if not job.file.name or not job.file.storage.exists(job.file.name):
        raise ValidationError(RESTART_NO_FILE)
    job.status = ImportJob.Status.PENDING
    job.processed_rows = 0
    job.attempts = 0
    job.task_id = ""
    job.summary = {"confirmed": True, "preview": job.summary.get("preview", {})}
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "processed_rows", "attempts", "task_id", "summary",
                            "updated_at"])
    from ..tasks import roster_import_task

    publish_on_commit(roster_import_task, job.pk)
    return job


@transaction.atomic
def import_job_cancel(*, actor: Actor, job: ImportJob) -> ImportJob:
    """The coordinator declines the preview: nothing is written and the file is deleted."""
    require(actor, Role.COORDINATOR)
    job = ImportJob.objects.select_for_update().get(pk=job.pk, school=actor.school)
    if job.status != ImportJob.Status.AWAITING:
        raise ValidationError(CONFIRM_REFUSED.format(status=job.get_status_display()))
    job.status = ImportJob.Status.FAILED
    job.errors = [RowError(None, "", CANCELLED).as_dict()]
    job.summary = {"error_count": 1, "preview": job.summary.get("preview", {})}
    job.finished_at = job.updated_at = timezone.now()
    job.save(update_fields=["status", "errors", "summary", "finished_at", "updated_at"])
    transaction.on_commit(lambda: _job_file_delete(job))
    return job
