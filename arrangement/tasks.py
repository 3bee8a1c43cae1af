"""Celery tasks of the arrangement: thin, take ids, call a service, own the time limit."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .models import Arrangement

logger = logging.getLogger(__name__)

# An exact placement of a large school takes seconds to minutes; past this it is a fault.
ARRANGEMENT_SOFT_LIMIT = 10 * 60
TIMED_OUT = f"计算超过 {ARRANGEMENT_SOFT_LIMIT // 60} 分钟未完成，已停止。请联系管理员。"
CRASHED = "计算出错（{error}），请联系管理员。"


@shared_task(soft_time_limit=ARRANGEMENT_SOFT_LIMIT, time_limit=ARRANGEMENT_SOFT_LIMIT + 60,
             acks_late=True)
def arrangement_compute_task(arrangement_id: int) -> str:
    from .services import arrangement_compute, arrangement_fail

    arrangement = Arrangement.objects.filter(pk=arrangement_id).select_related("term").first()
    if arrangement is None:
        return "missing"
    try:
        arrangement = arrangement_compute(arrangement=arrangement)
    except SoftTimeLimitExceeded:
        arrangement = arrangement_fail(arrangement=arrangement, message=TIMED_OUT)
    except Exception as exc:  # recorded on the run for the coordinator, logged for us
        logger.exception("arrangement %s failed", arrangement_id)
        arrangement = arrangement_fail(arrangement=arrangement,
                                       message=CRASHED.format(error=exc.__class__.__name__))
    return arrangement.status
