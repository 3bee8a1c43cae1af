"""Celery tasks of the family's rights: thin, call a service, own retries and limits."""

from celery import shared_task


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def purge_expired_task() -> int:
    """Nightly: clear what outlived each school's retention (safe to run twice)."""
    from .retention import purge_expired

    report = purge_expired()
    return sum(report.totals.values()) + report.access_log + report.downloads
