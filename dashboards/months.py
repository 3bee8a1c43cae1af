"""Months as the dashboards count them: a month is its first day, written YYYY-MM in URLs."""

from __future__ import annotations

import datetime as dt

from afterschool.months import last_day, month_text, months_between, shift  # noqa: F401
from afterschool.params import month_param


def parse_month(text, default: dt.date) -> dt.date:
    """``"2024-11"`` → 2024-11-01; anything else (or nothing) → ``default``'s month."""
    return month_param(text) or default.replace(day=1)
