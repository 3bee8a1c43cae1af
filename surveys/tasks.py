"""Celery tasks of the surveys: thin, call a service, own retries and limits."""

from celery import shared_task


@shared_task(soft_time_limit=50, time_limit=58)
def surveys_close_due_task() -> int:
    """Periodic: close the surveys past their deadline; safe to run twice."""
    from .services import surveys_close_due

    return surveys_close_due()
