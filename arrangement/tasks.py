"""Celery tasks of the arrangement: thin, take ids, call a service, own the time limit."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from afterschool.dispatch import DATABASE_ERRORS, database_retry, publish

from .models import Arrangement
from .services.runs import COMPUTE_SOFT_LIMIT, COMPUTE_TIME_LIMIT

logger = logging.getLogger(__name__)

# An exact placement of a large school takes seconds to minutes; past this it is a fault.
ARRANGEMENT_SOFT_LIMIT = COMPUTE_SOFT_LIMIT
TIMED_OUT = f"计算超过 {ARRANGEMENT_SOFT_LIMIT // 60} 分钟未完成，已停止。请联系管理员。"
CRASHED = "计算出错（{error}），请联系管理员。"
DATABASE_FAILED = "计算失败：数据库连接中断，多次重试仍未成功（{error}）。请重新开始统筹安排。"


@shared_task(bind=True, soft_time_limit=COMPUTE_SOFT_LIMIT, time_limit=COMPUTE_TIME_LIMIT,
             max_retries=3)
def arrangement_compute_task(self, arrangement_id: int) -> str:
    """Compute one run. Redelivered if its worker dies (``task_reject_on_worker_lost``); the
    run counts attempts. A database error retries on a new connection with backoff; after the
    last retry the run fails with the reason."""
    from .services import arrangement_compute, arrangement_fail

    arrangement = Arrangement.objects.filter(pk=arrangement_id).select_related("term").first()
    if arrangement is None:
        return "missing"
    try:
        arrangement = arrangement_compute(arrangement=arrangement, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        arrangement = arrangement_fail(arrangement=arrangement, message=TIMED_OUT)
    except DATABASE_ERRORS as exc:
        message = DATABASE_FAILED.format(error=exc.__class__.__name__)
        return database_retry(self, exc, give_up=lambda: arrangement_fail(
            arrangement=arrangement, message=message).status)
    except Exception as exc:  # recorded on the run for the coordinator, logged for us
        logger.exception("arrangement %s failed", arrangement_id)
        arrangement = arrangement_fail(arrangement=arrangement,
                                       message=CRASHED.format(error=exc.__class__.__name__))
    return arrangement.status


@shared_task(bind=True, max_retries=3, soft_time_limit=50, time_limit=60)
def arrangements_sweep_task(self) -> dict:
    """Every minute (beat): queue runs never queued, interrupt runs whose worker vanished."""
    from .services.recovery import arrangements_sweep

    try:
        queue, interrupted = arrangements_sweep()
    except DATABASE_ERRORS as exc:
        return database_retry(self, exc, give_up=dict)
    for arrangement_id in queue:
        publish(arrangement_compute_task, arrangement_id)
    return {"queued": len(queue), "interrupted": interrupted}
