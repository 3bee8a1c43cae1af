"""Celery tasks of attendance: thin, take ids, call a service, own retries and limits."""

from celery import shared_task


@shared_task(bind=True, max_retries=5, default_retry_delay=20, soft_time_limit=60,
             time_limit=90)
def alerts_notify_task(self, alert_ids: list[int]) -> int:
    """Tell the guardians and the homeroom teacher about new absence alerts; safe to run twice
    (each alert is notified once)."""
    from .services.alerts import alerts_notify

    return alerts_notify(alert_ids=alert_ids)


@shared_task(soft_time_limit=50, time_limit=58)
def alerts_sweep_task() -> list[int]:
    """Periodic (every minute): notify alerts whose task never ran, escalate the overdue."""
    from .services.alerts import alerts_sweep

    return list(alerts_sweep())


@shared_task(soft_time_limit=600, time_limit=660)
def lessons_regenerate_task(term_id: int) -> str:
    """Regenerate a term's lessons from today on (the calendar page's button); safe to run
    twice: the second run finds nothing to change. Lessons with a roll call are kept."""
    from afterschool.models import Term

    from .services.lessons import lessons_regenerate

    term = Term.objects.filter(pk=term_id).first()
    return str(lessons_regenerate(term=term)) if term is not None else ""


@shared_task(soft_time_limit=50, time_limit=58)
def dismissals_sweep_task() -> int:
    """Periodic (every minute): hand the children not released in time after their last
    lesson to the duty teachers, and tell the office; safe to run twice."""
    from .services.dismissal import dismissals_sweep

    return dismissals_sweep()
