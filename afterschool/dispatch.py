"""Handing work to Celery without letting the broker decide whether a write succeeds.

Every side effect a write queues is first recorded in the write's own transaction — a
``Delivery`` row, a transition's empty ``notified_at``, a run or an import job still pending —
and only then published, after commit, by :func:`publish_on_commit`. If Redis is down the
publish fails quietly (a warning in the log), the person still sees that their write
succeeded, and a beat sweep (``CELERY_BEAT_SCHEDULE``) publishes what is still pending once
the broker is back. So nothing is lost, and nothing waits on the broker but the sweep.

Tasks recover from database faults with :func:`database_retry`: close the broken connection
first (a failure handler that reuses it only fails again), then retry with backoff, and after
the last retry let the caller record a failure on a fresh connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)

logger = logging.getLogger(__name__)

# What a dropped or restarted database raises; worth a retry, unlike a bug in our code.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def publish(task, *args, **kwargs) -> bool:
    """``task.delay(*args)``; False (and a warning) instead of an exception if it failed."""
    try:
        task.delay(*args, **kwargs)
    except Exception:  # noqa: BLE001 — any broker fault; the sweep publishes it later
        logger.warning("could not queue %s%r; the beat sweep will queue it later",
                       getattr(task, "name", task), args, exc_info=True)
        return False
    return True


def publish_on_commit(task, *args, on_published: Callable[[], None] | None = None) -> None:
    """Publish once the surrounding transaction commits; ``on_published`` runs if it worked.

    ``on_published`` (e.g. stamping ``queued_at``) runs in its own small transaction; its
    failure is logged, never raised, since the write it follows has already succeeded.
    """

    def send():
        if publish(task, *args) and on_published is not None:
            try:
                with transaction.atomic():
                    on_published()
            except Exception:  # noqa: BLE001 — a marker only; the sweep copes without it
                logger.warning("could not record that %s was queued", task.name, exc_info=True)

    transaction.on_commit(send)


def retry_countdown(retries: int, *, base: int = 5, cap: int = 300) -> int:
    """Exponential backoff: 5, 10, 20, 40 … seconds, at most ``cap``."""
    return min(cap, base * 2 ** retries)


def database_retry(task, exc: Exception, *, give_up: Callable[[], object] | None = None):
    """Handle a database error inside a bound task: reconnect, then retry or give up.

    Raises Celery's ``Retry`` while retries are left. After the last one, calls ``give_up``
    (which records the failure, on a new connection) and returns its result.
    """
    connection.close()  # the old one may be dead; Django opens a fresh one on next use
    if task.request.is_eager or task.request.retries >= task.max_retries:
        if give_up is None:
            raise exc
        close_old_connections()
        return give_up()
    logger.warning("%s: database error, retry %s: %s", task.name, task.request.retries + 1, exc)
    raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries))
