"""Months, as the statements, the assessment and the 公示 count them: a month is its first day."""

from __future__ import annotations

import datetime as dt
import re

from .exceptions import MONTH_BAD, EvaluationError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text) -> dt.date:
    """``"2024-11"`` → 2024-11-01; anything else refused with a message naming the value."""
    match = _MONTH.match(str(text or "").strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise EvaluationError(MONTH_BAD.format(value=str(text or "")[:20]), field="month")


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_of(month: dt.date) -> dt.date:
    return shift(first_of(month), 1) - dt.timedelta(days=1)


def shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_month(today: dt.date) -> dt.date:
    return shift(first_of(today), -1)


def month_key(month: dt.date) -> str:
    """2024-11-01 → ``"2024-11"`` (the command's and the JSON's spelling)."""
    return f"{month.year:04d}-{month.month:02d}"
