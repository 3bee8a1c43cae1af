"""How grades, homerooms, weekdays and an import's summary are written, so an export reads back."""

from __future__ import annotations

from ..cleaning import parse_grade
from ..models import Grade, Homeroom
from .columns import SUMMARY_KEYS, SUMMARY_LABELS


def grade_name(number: int) -> str:
    """The name a new grade gets: 一年级 … 九年级, 高一 … 高三."""
    if number >= 10:
        return "高" + "一二三"[number - 10]
    return "一二三四五六七八九"[number - 1] + "年级"


def grade_label(grade: Grade) -> str:
    """How the export writes a grade: its name, if the import reads the name back as it."""
    return grade.name if parse_grade(grade.name) == grade.number else f"{grade.number}年级"


def homeroom_label(homeroom: Homeroom) -> str:
    return f"{grade_label(homeroom.grade)}{homeroom.number}班"



def summary_items(kind: str, summary: dict) -> list[tuple[str, int]]:
    """The summary's counts as (Chinese label, number), in a fixed order, for pages and output."""
    return [(SUMMARY_LABELS[k], summary.get(k, 0)) for k in SUMMARY_KEYS[kind]]
