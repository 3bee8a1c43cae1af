"""Duties (值日) and patrols (巡查) as the ledger counts them (filled in once the duty roster's
selectors exist)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DutyItem:
    staff_id: int
    source: str
    date: dt.date
    title: str


def duty_counts(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    return {}


def patrol_counts(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    return {}


def duty_lines(school_id: int, first: dt.date, last: dt.date, *, staff_ids=None):
    return []


def patrol_lines(school_id: int, first: dt.date, last: dt.date, *, staff_ids=None):
    return []


def available() -> bool:
    return False


def patrol_summary(school_id: int, first: dt.date, last: dt.date) -> dict | None:
    return None


def findings_by_teacher(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    return {}


def open_follow_ups_by_teacher(school_id: int, as_of: dt.date) -> dict[int, int]:
    return {}


def patrolled_teachers(school_id: int, first: dt.date, last: dt.date) -> set[int]:
    return set()
