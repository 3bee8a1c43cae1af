"""Keeping the aggregate tables fresh when the records change, without touching attendance.

Attendance sits below the dashboards and must not know about them, so the dashboards listen:
a roll call saves its lesson (``roll_call_at``, ``roll_call_revision``), a correction saves the
record, handling an absence saves the alert. Each such save asks, once the transaction
commits, for that school's day to be counted again (:func:`request_refresh`).

Roll calls come in bursts — every tutor of a school within the same few minutes — so the
requests of one school and day are collapsed: the first queues the refresh a little later and
marks the day as queued in the cache; the others find the mark and add nothing. The task
clears the mark before it counts, so a roll call that lands while it runs queues the next one.
A request whose task never reached the broker is made good by the beat (every quarter hour for
today, every night for the month).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# Seconds a school-day's refresh waits for the rest of its burst of roll calls.
REFRESH_DELAY = 60
# How long a queued mark lives if its task is lost (the beat covers the day meanwhile).
MARK_TIMEOUT = 15 * 60


def mark_key(school_id: int, date: dt.date) -> str:
    return f"dashboards:refresh:{school_id}:{date.isoformat()}"


def request_refresh(school_id: int, date: dt.date) -> None:
    """Queue one refresh of the school's day (and month), unless one is already queued."""
    from .tasks import day_refresh_task

    key = mark_key(school_id, date)
    if not cache.add(key, 1, timeout=MARK_TIMEOUT):
        return
    try:
        day_refresh_task.apply_async((school_id, date.isoformat()), countdown=REFRESH_DELAY)
    except Exception:  # noqa: BLE001 — any broker fault; the beat counts the day anyway
        cache.delete(key)
        logger.warning("could not queue the dashboard refresh of school %s on %s; the beat "
                       "will count it", school_id, date, exc_info=True)


def _after_commit(resolve) -> None:
    """Find (school, date) after the commit — no query inside the writer's transaction —
    and ask for the refresh."""

    def run():
        found = resolve()
        if found is not None and found[0] is not None:
            request_refresh(*found)

    transaction.on_commit(run)


WATCHED = {"roll_call_at", "roll_call_revision", "is_cancelled"}


def lesson_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """A roll call was taken or taken again, or the lesson cancelled (a new lesson has no
    records yet: nothing to count)."""
    if created or (update_fields is not None and not WATCHED & set(update_fields)):
        return
    from attendance.models import Lesson

    if Lesson.term.is_cached(instance):  # the roll call read it with the lesson: no query
        found = (instance.term.school_id, instance.date)
        _after_commit(lambda: found)
        return
    lesson_id = instance.pk
    _after_commit(lambda: Lesson.objects.filter(pk=lesson_id).values_list(
        "term__school_id", "date").first())


def record_saved(sender, instance, **kwargs) -> None:
    """A record changed one at a time: a correction, a leave settled on a lesson."""
    from attendance.models import Lesson

    lesson_id = instance.lesson_id
    _after_commit(lambda: Lesson.objects.filter(pk=lesson_id).values_list(
        "term__school_id", "date").first())


def alert_saved(sender, instance, **kwargs) -> None:
    """An absence alert was raised or handled (the day's unexplained absences)."""
    from attendance.models import Lesson

    lesson_id = instance.lesson_id
    _after_commit(lambda: Lesson.objects.filter(pk=lesson_id).values_list(
        "term__school_id", "date").first())


def connect() -> None:
    from django.db.models.signals import post_save

    from attendance.models import AbsenceAlert, AttendanceRecord, Lesson

    post_save.connect(lesson_saved, sender=Lesson, dispatch_uid="dashboards.lesson_saved")
    post_save.connect(record_saved, sender=AttendanceRecord,
                      dispatch_uid="dashboards.record_saved")
    post_save.connect(alert_saved, sender=AbsenceAlert, dispatch_uid="dashboards.alert_saved")
