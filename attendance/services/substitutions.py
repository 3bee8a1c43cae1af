"""Substitutes (代课): another member of staff takes a tutor's lessons while the tutor is away.

An order covers one lesson or every lesson of the tutor in a range of dates. The substitute
then sees those lessons and takes their roll calls, which count as theirs (``roll_call_by``).
Orders are kept, so regenerating the lessons applies them again; lessons already taken are
never reassigned.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from afterschool.access import Actor
from afterschool.models import Role, Staff, Term

from ..exceptions import (
    SUBSTITUTE_BACKWARDS,
    SUBSTITUTE_LESSON_TAKEN,
    SUBSTITUTE_NO_LESSONS,
    SUBSTITUTE_OTHER_SCHOOL,
    SUBSTITUTE_OUTSIDE_TERM,
    SUBSTITUTE_SELF,
    AttendanceError,
)
from ..models import Lesson, SubstitutionOrder
from .lessons import substitutes_apply


def _untaken(qs):
    return qs.filter(roll_call_at__isnull=True, is_cancelled=False).exclude(
        records__status__gt="")


@transaction.atomic
def substitution_assign(*, actor: Actor, substitute: Staff, term: Term | None = None,
                        tutor: Staff | None = None, lesson: Lesson | None = None,
                        start_date: dt.date | None = None, end_date: dt.date | None = None,
                        reason: str = "") -> SubstitutionOrder:
    """One lesson (``lesson``) or every untaken lesson of ``tutor`` from start to end date."""
    if not actor.has(Role.COORDINATOR) or actor.school is None:
        raise PermissionDenied("只有课后服务办公室可以安排代课。")
    if substitute.school_id != actor.school.pk or not substitute.is_active:
        raise AttendanceError(SUBSTITUTE_OTHER_SCHOOL)
    if lesson is not None:
        lesson = Lesson.objects.select_for_update().select_related("term").get(pk=lesson.pk)
        term = lesson.term
        if not _untaken(Lesson.objects.filter(pk=lesson.pk)).exists():
            raise AttendanceError(SUBSTITUTE_LESSON_TAKEN)
        tutors = list(lesson.tutors.all())
        if substitute in tutors:
            raise AttendanceError(SUBSTITUTE_SELF)
        tutor = tutors[0] if tutors else None
        start_date = end_date = lesson.date
    if term is None or term.school_id != actor.school.pk:
        raise AttendanceError(SUBSTITUTE_OTHER_SCHOOL)
    if tutor is None or tutor.school_id != actor.school.pk:
        raise AttendanceError(SUBSTITUTE_OTHER_SCHOOL)
    if tutor.pk == substitute.pk:
        raise AttendanceError(SUBSTITUTE_SELF)
    if start_date > end_date:
        raise AttendanceError(SUBSTITUTE_BACKWARDS)
    if start_date < term.start_date or end_date > term.end_date:
        raise AttendanceError(SUBSTITUTE_OUTSIDE_TERM.format(
            start=f"{term.start_date:%Y年%m月%d日}", end=f"{term.end_date:%Y年%m月%d日}"))
    if lesson is None:
        affected = _untaken(Lesson.objects.filter(term=term, tutors=tutor,
                                                  date__range=(start_date, end_date)))
        if not affected.exists():
            raise AttendanceError(SUBSTITUTE_NO_LESSONS.format(
                tutor=tutor.name, start=f"{start_date:%m月%d日}", end=f"{end_date:%m月%d日}"))
    order = SubstitutionOrder(term=term, tutor=tutor, substitute=substitute,
                              start_date=start_date, end_date=end_date, lesson=lesson,
                              reason=reason.strip()[:200], created_by=actor.user)
    order.full_clean()
    order.save()
    substitutes_apply(term=term, dates=_dates(start_date, end_date))
    return order


@transaction.atomic
def substitution_cancel(*, order: SubstitutionOrder, actor: Actor) -> None:
    """Withdraw an order: its untaken lessons go back to their tutors (or another order)."""
    if not actor.has(Role.COORDINATOR) or actor.school is None \
            or order.term.school_id != actor.school.pk:
        raise PermissionDenied("只有课后服务办公室可以取消代课。")
    term, start, end = order.term, order.start_date, order.end_date
    order.delete()
    substitutes_apply(term=term, dates=_dates(start, end))


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
