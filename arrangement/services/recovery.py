"""Runs whose task never started or whose worker vanished: for the beat sweep.

A run is queued after its start commits; if the broker was down then, nothing computes it.
A run being computed keeps a heartbeat (``updated_at``); if its worker died (killed, the
machine restarted) and no redelivery picked it up, the heartbeat stops. Every minute the sweep
queues the first kind again and marks the second failed with the reason, so the page stops
spinning, says what happened and offers a new start — the same window (``STALE_RUN``) that
stops blocking a new start.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from ..models import Arrangement
from .runs import STALE_RUN, arrangement_fail

logger = logging.getLogger(__name__)

Status = Arrangement.Status
INTERRUPTED = ("计算中断：负责计算的后台进程意外停止（可能已重启），本次统筹安排没有结果。"
               "请重新开始统筹安排。")
# A run queued this long ago and not started was never queued (the broker was down) or lost.
REQUEUE_AFTER = dt.timedelta(seconds=60)


def arrangements_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """Return the runs to queue again, and how many silent runs were marked interrupted."""
    now = now or timezone.now()
    waiting = Arrangement.objects.filter(status=Status.DRAFT, finished_at__isnull=True,
                                         started_at__isnull=True,
                                         updated_at__lte=now - REQUEUE_AFTER)
    queue = list(waiting.values_list("pk", flat=True)[:50])
    # Touched, so a run still waiting behind others is queued once a minute at most and is
    # not taken for silent.
    Arrangement.objects.filter(pk__in=queue).update(updated_at=now)
    silent = Arrangement.objects.filter(status=Status.DRAFT, finished_at__isnull=True,
                                        started_at__isnull=False,
                                        updated_at__lte=now - STALE_RUN)
    interrupted = 0
    for arrangement in silent.select_related("term"):
        arrangement_fail(arrangement=arrangement, message=INTERRUPTED)
        interrupted += 1
        logger.warning("arrangement run %s marked interrupted", arrangement.pk)
    return queue, interrupted
