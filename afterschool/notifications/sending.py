"""Sending one delivery, once, and finding the ones still to send.

A send has three steps so that no fault leaves a row stuck or sent twice by us:

1. *Claim* (a short transaction, row locked, ``skip_locked``): a pending row that is due gets
   one more attempt and a lease (``next_attempt_at`` a few minutes ahead), committed at once.
   A second task for the same row finds it locked or leased and does nothing. A row whose
   attempts are used up — e.g. a send that kills its worker every time — is marked failed.
2. *Send* through the channel, outside any transaction.
3. *Record* the outcome: sent (with the provider's receipt), failed for good (the provider
   refused: a wrong number), or pending again with a backoff (the provider or mail server was
   away) for the sweep to pick up when due.

If the process dies between 2 and 3 the lease runs out and the message is sent again: a
duplicate is possible then, a loss is not.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Sequence

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Delivery, Notice
from . import max_attempts
from .sms import SmsError, sms_backend

logger = logging.getLogger(__name__)

Status = Delivery.Status
LEASE = dt.timedelta(minutes=3)
# A pending row queued this long ago and still not done is queued again by the sweep.
REQUEUE_AFTER = dt.timedelta(minutes=2)
# The sweep leaves the newest rows to the task their own write queued.
SWEEP_GRACE = dt.timedelta(seconds=5)
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
INTERRUPTED = "已尝试 {n} 次，每次发送都在中途中断"


class DeliveryError(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


def _send_email(delivery: Delivery) -> str:
    notice = delivery.notice
    try:
        send_mail(subject=f"【{notice.school.name}课后服务】{notice.title}",
                  message=notice.body or notice.title, from_email=None,
                  recipient_list=[delivery.address])
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"邮件服务器拒收该地址：{exc}", temporary=False) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"邮件服务器不可用：{exc}", temporary=True) from exc
    return ""


def sms_text(notice: Notice) -> str:
    text = f"【{notice.school.name}】{notice.title}"
    if notice.body:
        text += f"。{notice.body}"
    return text[:300]


def _send_sms(delivery: Delivery) -> str:
    try:
        return sms_backend().send(delivery.address, sms_text(delivery.notice),
                                  title=delivery.notice.title)
    except SmsError as exc:
        raise DeliveryError(str(exc), temporary=exc.temporary) from exc


CHANNELS = {Delivery.Channel.EMAIL: _send_email, Delivery.Channel.SMS: _send_sms}


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("notice__school")
                    .filter(pk=delivery_id, status=Status.PENDING)
                    .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                    .first())
        if delivery is None:
            return None
        delivery.attempts += 1
        if delivery.attempts > max_attempts():
            delivery.status = Status.FAILED
            delivery.error = INTERRUPTED.format(n=delivery.attempts - 1)
            delivery.save(update_fields=["attempts", "status", "error"])
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def delivery_send(*, delivery_id: int) -> str | None:
    """Send one pending, due delivery; return its new status, or None if there was nothing to do."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    try:
        receipt = CHANNELS[delivery.channel](delivery)
    except DeliveryError as exc:
        return _record_failure(delivery, str(exc), temporary=exc.temporary)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(
        status=Status.SENT, sent_at=now, provider_ref=receipt[:100], error="", next_attempt_at=None)
    if delivery.channel == Delivery.Channel.EMAIL:
        Notice.objects.filter(pk=delivery.notice_id, emailed_at__isnull=True).update(
            emailed_at=now)
    return Status.SENT


def _record_failure(delivery: Delivery, error: str, *, temporary: bool) -> str:
    error = error[:300]
    if temporary and delivery.attempts < max_attempts():
        wait = BACKOFF_MINUTES[min(delivery.attempts, len(BACKOFF_MINUTES)) - 1]
        Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(
            error=error, queued_at=None,
            next_attempt_at=timezone.now() + dt.timedelta(minutes=wait))
        logger.info("delivery %s: %s; again in %s min", delivery.pk, error, wait)
        return Status.PENDING
    if temporary:
        error = f"已尝试 {delivery.attempts} 次均未成功，最后一次：{error}"[:300]
    Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(
        status=Status.FAILED, error=error, next_attempt_at=None)
    logger.warning("delivery %s failed: %s", delivery.pk, error)
    return Status.FAILED


def deliveries_send(*, delivery_ids: Sequence[int]) -> dict[str, int]:
    outcome: dict[str, int] = {}
    for delivery_id in delivery_ids:
        status = delivery_send(delivery_id=delivery_id)
        if status:
            outcome[status] = outcome.get(status, 0) + 1
    return outcome


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 5000) -> list[int]:
    """Pending deliveries no task is about to send: never queued (the broker was down), due for
    a retry, or queued long ago (the message was lost). Stamps them queued, returns their ids.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, created_at__lte=now - SWEEP_GRACE)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER))
            .order_by("pk").values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)
    return ids
