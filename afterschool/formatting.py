"""How weekdays, dates and moments are written on pages, in messages and in exports.

Weekdays are ISO numbers (1 = 周一 … 7 = 周日), as ``Term.service_weekdays``, slots and
``Staff.available_weekdays`` store them. Moments are shown in the school's time zone
(``Asia/Shanghai``). Templates use Django's ``date`` filter with the same patterns
(``"Y年n月j日"``, ``"n月j日 H:i"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def weekday_label(weekday: int) -> str:
    """``3`` → 周三."""
    return WEEKDAY_LABELS[weekday - 1]


def weekdays_text(weekdays: Iterable[int]) -> str:
    """``[3, 1, 3]`` → 周一、周三: in week order, each once; numbers outside 1–7 are left out."""
    return "、".join(WEEKDAY_LABELS[d - 1] for d in sorted(set(weekdays)) if 1 <= d <= 7)


def slot_label(weekday: int, period_number: int) -> str:
    """A weekly slot: ``(2, 3)`` → 周二第3节."""
    return f"{WEEKDAY_LABELS[weekday - 1]}第{period_number}节"


def date_text(day: dt.date | None) -> str:
    """2026年9月1日 (no leading zeros); empty for no date."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def short_date_text(day: dt.date | None) -> str:
    """9月1日 (within the school year, the year goes without saying); empty for no date."""
    return f"{day.month}月{day.day}日" if day else ""


def moment_text(moment: dt.datetime | None) -> str:
    """2026年9月1日 20:15, in the school's time zone; empty for no moment."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{date_text(local)} {local:%H:%M}"


def short_moment_text(moment: dt.datetime | None) -> str:
    """9月1日 20:15 (within the school year, the year goes without saying); empty for none."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{short_date_text(local)} {local:%H:%M}"
