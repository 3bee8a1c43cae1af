"""Celery tasks of enrollment: thin, take ids, call a service, own retries and limits."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=5, default_retry_delay=60, soft_time_limit=120,
             time_limit=180)
def transitions_notify_task(self, transition_ids: list[int]) -> int:
    """Tell the guardians about these moves; safe to run twice (each is notified once)."""
    return services.transitions_notify(transition_ids=transition_ids)
