"""The term calendar (校历): holidays, 调休 make-up days and suspensions of the service.

Each change regenerates the lessons of its date at once (in the same transaction), so the
calendar and the lessons never disagree; lessons with a roll call are kept as they are.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from afterschool.access import Actor
from afterschool.models import Grade, Role, Term

from ..exceptions import (
    CALENDAR_DUPLICATE,
    CALENDAR_GRADE_ONLY_FOR_SUSPENSION,
    CALENDAR_GRADE_OTHER_SCHOOL,
    CALENDAR_MAKEUP_NEEDS_WEEKDAY,
    CALENDAR_OTHER_SCHOOL,
    CALENDAR_OUTSIDE_TERM,
    CALENDAR_WEEKDAY_ONLY_FOR_MAKEUP,
    AttendanceError,
)
from ..models import CalendarDay
from .lessons import Generated, lessons_regenerate


def _require_coordinator(actor: Actor, term: Term) -> None:
    if not actor.has(Role.COORDINATOR):
        raise PermissionDenied("只有课后服务办公室可以调整校历。")
    if actor.school is None or term.school_id != actor.school.pk:
        raise AttendanceError(CALENDAR_OTHER_SCHOOL)


@transaction.atomic
def calendar_day_set(*, term: Term, date: dt.date, kind: str, actor: Actor,
                     runs_as_weekday: int | None = None, grade: Grade | None = None,
                     reason: str = "") -> tuple[CalendarDay, Generated]:
    """Mark a date of the term as a holiday, a make-up day or a suspension (of one grade)."""
    _require_coordinator(actor, term)
    if not (term.start_date <= date <= term.end_date):
        raise AttendanceError(CALENDAR_OUTSIDE_TERM.format(
            date=f"{date:%Y年%m月%d日}", start=f"{term.start_date:%Y年%m月%d日}",
            end=f"{term.end_date:%Y年%m月%d日}"))
    if kind == CalendarDay.Kind.MAKEUP and not runs_as_weekday:
        raise AttendanceError(CALENDAR_MAKEUP_NEEDS_WEEKDAY)
    if kind != CalendarDay.Kind.MAKEUP and runs_as_weekday:
        raise AttendanceError(CALENDAR_WEEKDAY_ONLY_FOR_MAKEUP)
    if grade is not None and kind != CalendarDay.Kind.SUSPENDED:
        raise AttendanceError(CALENDAR_GRADE_ONLY_FOR_SUSPENSION)
    if grade is not None and grade.school_id != term.school_id:
        raise AttendanceError(CALENDAR_GRADE_OTHER_SCHOOL)
    same = CalendarDay.objects.select_for_update().filter(term=term, date=date)
    clash = same.filter(grade__isnull=True).first() if grade is None else \
        same.filter(grade=grade).first()
    if clash is None and grade is None:
        clash = same.first()  # a grade's suspension must go before the whole school's day
    if clash is None and grade is not None:
        clash = same.filter(grade__isnull=True).first()
    if clash is not None:
        label = clash.get_kind_display() + (f"·{clash.grade.name}" if clash.grade_id else "")
        raise AttendanceError(CALENDAR_DUPLICATE.format(date=f"{date:%m月%d日}", existing=label))
    day = CalendarDay(term=term, date=date, kind=kind, runs_as_weekday=runs_as_weekday,
                      grade=grade, reason=reason.strip(), created_by=actor.user)
    day.full_clean()
    day.save()
    return day, lessons_regenerate(term=term, dates=[date], actor=actor)


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, actor: Actor) -> Generated:
    """Remove a calendar entry: the date runs its weekly pattern again."""
    term = day.term
    _require_coordinator(actor, term)
    date = day.date
    day.delete()
    return lessons_regenerate(term=term, dates=[date], actor=actor)
