"""Months as the dashboards count them: a month is its first day, written YYYY-MM in URLs."""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text, default: dt.date) -> dt.date:
    """``"2024-11"`` → 2024-11-01; anything else (or nothing) → ``default``'s month."""
    match = _MONTH.match(str(text or "").strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    return default.replace(day=1)


def shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return shift(month, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    found, month = [], first.replace(day=1)
    while month <= last:
        found.append(month)
        month = shift(month, 1)
    return found


def month_text(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"
