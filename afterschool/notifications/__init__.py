"""Notices that reach people: in-app always, e-mail and SMS where they can, each on record.

:func:`notices_send` writes many notices at once — one query for people's preferences, one
bulk insert of the notices and one of their deliveries, whatever the number of people — and
queues one sending task per batch of deliveries after commit. Each e-mail or SMS is a
:class:`~afterschool.models.Delivery` row (one per notice and channel: a constraint), so what
was really sent, what failed and why is on record for the office (``deliveries`` page), and
sending is retried by the beat sweep when the broker or the provider was away
(:mod:`.sending`). SMS goes through a backend chosen in the settings (:mod:`.sms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..dispatch import publish_on_commit
from ..models import Delivery, Notice, NoticePreference, School

# Deliveries per sending task: one SMS may take up to SMS_TIMEOUT_SECONDS.
TASK_BATCH = 50


@dataclass(frozen=True)
class NoticeSpec:
    """One notice to one person. ``sms``: worth a text message (decisions, alerts, reminders).

    ``email`` is the address to use (e.g. the guardian's), else the account's own. ``key``
    makes the notice once-only for that person (e.g. one reminder per family per day).
    """

    user: object
    title: str
    body: str = ""
    url: str = ""
    email: str = ""
    sms: bool = False
    key: str = ""


@dataclass
class NoticeReport:
    """What a batch of notices did, for the message the person who acted sees."""

    notices: list = field(default_factory=list)
    email: int = 0
    sms: int = 0
    skipped: int = 0  # already sent under the same key

    @property
    def people(self) -> int:
        return len({n.user_id for n in self.notices})

    def text(self, who: str = "人") -> str:
        """E.g. "已通知 46 位家长（站内 46，短信 40 条发送中）"."""
        if not self.notices:
            return f"没有需要通知的{who}" + (f"（{self.skipped} 位今天已通知过）" if self.skipped else "")
        parts = [f"站内 {len(self.notices)}"]
        if self.sms:
            parts.append(f"短信 {self.sms} 条发送中")
        if self.email:
            parts.append(f"邮件 {self.email} 封发送中")
        text = f"已通知 {self.people} 位{who}（{'，'.join(parts)}）"
        if self.skipped:
            text += f"，{self.skipped} 位今天已通知过"
        return text


def sms_address(user) -> str:
    return getattr(user, "phone", "") or ""


@transaction.atomic
def notices_send(*, school: School, specs: Sequence[NoticeSpec]) -> NoticeReport:
    """Write the notices and their deliveries, and queue the sending after commit.

    A constant number of queries: the callers pass users already loaded (``select_related``).
    """
    report = NoticeReport()
    specs = list(specs)
    if not specs:
        return report
    keyed = [s for s in specs if s.key]
    if keyed:
        taken = set(Notice.objects.filter(user_id__in={s.user.pk for s in keyed},
                                          key__in={s.key for s in keyed})
                    .values_list("user_id", "key"))
        seen = set()
        kept = []
        for spec in specs:
            mark = (spec.user.pk, spec.key)
            if spec.key and (mark in taken or mark in seen):
                report.skipped += 1
                continue
            seen.add(mark)
            kept.append(spec)
        specs = kept
    if not specs:
        return report
    preferences = {p.user_id: p for p in NoticePreference.objects.filter(
        user_id__in={s.user.pk for s in specs})}
    now = timezone.now()
    notices = []
    for spec in specs:
        notice = Notice(user=spec.user, school=school, title=spec.title[:100], body=spec.body,
                        url=spec.url[:200], key=spec.key[:100], created_at=now)
        notice.clean_fields(exclude=["user", "school"])
        notices.append(notice)
    Notice.objects.bulk_create(notices)
    deliveries = []
    for spec, notice in zip(specs, notices, strict=True):
        preference = preferences.get(spec.user.pk)
        address = spec.email or getattr(spec.user, "email", "")
        if address and (preference is None or preference.email):
            deliveries.append(Delivery(notice=notice, channel=Delivery.Channel.EMAIL,
                                       address=address, created_at=now))
            report.email += 1
        phone = sms_address(spec.user)
        if spec.sms and phone and (preference is None or preference.sms):
            deliveries.append(Delivery(notice=notice, channel=Delivery.Channel.SMS,
                                       address=phone, created_at=now))
            report.sms += 1
    Delivery.objects.bulk_create(deliveries)
    report.notices = notices
    deliveries_queue_on_commit([d.pk for d in deliveries])
    return report


def deliveries_queue_on_commit(delivery_ids: Sequence[int]) -> None:
    """One sending task per batch, after commit; each batch stamps ``queued_at`` if queued."""
    from ..tasks import deliveries_send_task

    ids = [pk for pk in delivery_ids if pk is not None]
    for start in range(0, len(ids), TASK_BATCH):
        batch = ids[start:start + TASK_BATCH]
        publish_on_commit(deliveries_send_task, batch, on_published=lambda batch=batch: (
            Delivery.objects.filter(pk__in=batch, queued_at__isnull=True)
            .update(queued_at=timezone.now())))


def max_attempts() -> int:
    return max(1, getattr(settings, "DELIVERY_MAX_ATTEMPTS", 5))
