"""Celery tasks of evaluation: thin, take ids, call a service, own retries and limits."""

from functools import partial

from celery import shared_task

from afterschool.dispatch import DATABASE_ERRORS, database_retry

# A school's month is a few grouped queries and a small workbook: seconds, even at 5,000
# students on a loaded machine (bench/publish_month.py).
BUILD_TIME_LIMIT = 10 * 60


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=4,
             soft_time_limit=BUILD_TIME_LIMIT - 30, time_limit=BUILD_TIME_LIMIT)
def publication_build_task(self, job_id: int) -> int | None:
    """Build one requested 公示 version, in one transaction (see
    ``evaluation.services.publications``). Acknowledged only when it ends: a worker killed
    midway leaves nothing written and the message is delivered again. A database error is
    retried on a new connection with backoff; after the last retry the job says why."""
    from .services.publications import publication_build, publication_give_up

    try:
        publication = publication_build(job_id=job_id)
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=partial(
            publication_give_up, job_id=job_id, reason=f"数据库连接中断（{type(exc).__name__}）"))
    return publication.version if publication is not None else None


@shared_task(bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def publications_monthly_task(self) -> list[int]:
    """The 1st of each month at 06:00 (beat): last month's 公示 for every school; running it
    twice queues the same requests and builds nothing twice."""
    from .services.publications import publications_monthly

    try:
        return publications_monthly()
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=list)


@shared_task(bind=True, max_retries=3, soft_time_limit=50, time_limit=60)
def publication_jobs_sweep_task(self) -> list[int]:
    """Every few minutes: queue the requests whose message never reached the broker."""
    from .services.publications import publication_jobs_sweep

    try:
        return publication_jobs_sweep()
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=list)
