"""Celery tasks of the dashboards: thin, take ids, call the aggregate builder."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def day_refresh_task(self, school_id: int, day: str) -> None:
    """Count one school's day and its month again (queued by a roll call or a correction,
    collapsed per school and day: see ``dashboards.receivers``); safe to run twice."""
    from afterschool.dispatch import DATABASE_ERRORS, database_retry

    from .aggregates import refresh_day
    from .receivers import mark_key

    date = dt.date.fromisoformat(day)
    cache.delete(mark_key(school_id, date))
    try:
        refresh_day(school_id=school_id, date=date)
    except DATABASE_ERRORS as exc:
        database_retry(self, exc)


@shared_task(bind=True, max_retries=3, soft_time_limit=300, time_limit=330)
def month_refresh_task(self, school_id: int, month: str) -> int:
    """Every day of one school's month counted again (the dashboard's 立即更新)."""
    from afterschool.dispatch import DATABASE_ERRORS, database_retry

    from .aggregates import rebuild
    from .months import last_day

    first = dt.date.fromisoformat(month).replace(day=1)
    try:
        return rebuild(first=first, last=last_day(first), school_ids=[school_id])
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc)


@shared_task(soft_time_limit=600, time_limit=660)
def dashboards_today_task() -> int:
    """Periodic (every quarter hour): today's rows and this month's for every school with
    lessons today, so the dashboards are never further behind than that even if a refresh
    was lost."""
    from attendance.models import Lesson

    from .aggregates import rebuild

    today = timezone.localdate()
    schools = list(Lesson.objects.filter(date=today).values_list("term__school_id", flat=True)
                   .distinct().order_by())
    return rebuild(first=today, last=today, school_ids=schools) if schools else 0


# Schools per task of the nightly rebuild: each task stays well inside the time limits.
CHUNK = 50


@shared_task(bind=True, max_retries=3, soft_time_limit=600, time_limit=660)
def schools_rebuild_task(self, school_ids: list[int], first: str, last: str) -> int:
    """Some schools' days and months between two dates counted again; safe to run twice."""
    from afterschool.dispatch import DATABASE_ERRORS, database_retry

    from .aggregates import rebuild

    try:
        return rebuild(first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last),
                       school_ids=school_ids)
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc)


@shared_task(soft_time_limit=50, time_limit=58)
def dashboards_rebuild_task(months: int = 2) -> int:
    """Nightly: every day of this month and the last (``months``) counted again from the
    records, so a late correction of any day is in by the morning — one task per
    ``CHUNK`` schools. Returns the number of tasks queued."""
    from afterschool.dispatch import publish
    from afterschool.models import School

    from .months import shift

    today = timezone.localdate()
    first = shift(today.replace(day=1), -(months - 1))
    ids = list(School.objects.order_by("pk").values_list("pk", flat=True))
    queued = 0
    for i in range(0, len(ids), CHUNK):
        queued += publish(schools_rebuild_task, ids[i:i + CHUNK], first.isoformat(),
                          today.isoformat())
    return queued
