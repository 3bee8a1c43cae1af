"""Months, as the statements, the assessment and the 公示 count them: a month is its first day."""

from __future__ import annotations

import datetime as dt

from afterschool.months import first_of, last_day, month_key, shift  # noqa: F401
from afterschool.params import month_param

from .exceptions import MONTH_BAD, EvaluationError


def parse_month(text) -> dt.date:
    """``"2024-11"`` → 2024-11-01; anything else refused with a message naming the value."""
    month = month_param(text)
    if month is None:
        raise EvaluationError(MONTH_BAD.format(value=str(text or "")[:20]), field="month")
    return month


def last_of(month: dt.date) -> dt.date:
    return last_day(month)


def previous_month(today: dt.date) -> dt.date:
    return shift(first_of(today), -1)
