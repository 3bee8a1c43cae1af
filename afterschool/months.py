"""Months as the pages and reports count them: a month is its first day, ``YYYY-MM`` in URLs.

Read a month from a request with :func:`afterschool.params.month_param`.
"""

from __future__ import annotations

import datetime as dt


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def shift(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return shift(first_of(month), 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    found, month = [], first_of(first)
    while month <= last:
        found.append(month)
        month = shift(month, 1)
    return found


def month_key(month: dt.date) -> str:
    """2024-11-01 → ``"2024-11"`` (URLs, the command line, JSON)."""
    return f"{month.year:04d}-{month.month:02d}"


def month_text(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"
