"""Celery tasks of enrollment: thin, take ids, call a service, own retries and limits."""

from celery import shared_task

from afterschool.dispatch import DATABASE_ERRORS, database_retry

from . import services


@shared_task(bind=True, max_retries=5, soft_time_limit=120, time_limit=180)
def transitions_notify_task(self, transition_ids: list[int]) -> int:
    """Tell the guardians about these moves; safe to run twice (each is notified once).

    A database error retries with backoff on a new connection; what is still not notified
    after the last retry is found by the sweep.
    """
    try:
        return services.transitions_notify(transition_ids=transition_ids)
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=lambda: 0)


@shared_task(bind=True, max_retries=3, soft_time_limit=50, time_limit=60)
def transitions_sweep_task(self) -> int:
    """Every minute (beat): notify the moves whose own task never reached the broker."""
    try:
        ids = services.transitions_pending()
        return services.transitions_notify(transition_ids=ids) if ids else 0
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=lambda: 0)
