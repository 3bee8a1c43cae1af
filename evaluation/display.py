"""How evaluation reads to people: the names and button styles of the moves, badge tones, the
indicators' names, months in Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from afterschool.months import month_text

from .models import Assessment, PublicationJob, Statement, StatementLine

S = Statement.Status
D = StatementLine.Dispute

STATEMENT_MOVE_LABELS = {
    "confirm": "确认无误",
    "dispute": "提出异议",
    "resolve": "处理异议",
    "finalize": "办公室定稿",
    "refresh": "按最新记录更新",
}
ASSESSMENT_MOVE_LABELS = {
    "confirm": "确认名单",
    "reopen": "重新评议",
    "recompute": "重新计算",
}

STATEMENT_TONE = {S.ISSUED: "warning", S.DISPUTED: "danger", S.FINAL: "success"}
DISPUTE_TONE = {D.OPEN: "danger", D.ACCEPTED: "success", D.DECLINED: "secondary", D.NONE: ""}
ASSESSMENT_TONE = {Assessment.Status.PROPOSED: "warning", Assessment.Status.CONFIRMED: "success"}
JOB_TONE = {PublicationJob.Status.QUEUED: "secondary", PublicationJob.Status.RUNNING: "info",
            PublicationJob.Status.DONE: "success", PublicationJob.Status.FAILED: "danger"}

# The indicators of the assessment, in the order the scheme lists them.
INDICATORS = {
    "delivery": "课次完成",
    "punctual": "按时点名",
    "patrol": "巡查情况",
    "follow_up": "整改情况",
    "satisfaction": "家长满意度",
}


def month_label(month: dt.date) -> str:
    """2024年11月."""
    return month_text(month)


def number(value) -> str:
    """A 课时 or an amount without trailing zeros: 12, 12.5, 0.25."""
    if value is None:
        return "—"
    value = Decimal(value)
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):,f}"
