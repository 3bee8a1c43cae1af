"""The workload ledger (课时), read from the attendance records every time.

Who a lesson counts for: its substitute when one is set (the tutor was away; only the
substitute may take that roll call), else each of its tutors (a lesson taught by two counts
for both). A lesson is *scheduled* when it is not cancelled, and *delivered* when its roll call
was taken — ``roll_call_at`` set, or any record marked (a coordinator's correction of a lesson
whose roll call was never sent marks records without stamping the lesson). A roll call is
*on time* when it was taken within the school's grace minutes of the lesson's start
(``AttendancePolicy.roll_call_grace_minutes``, the same rule as the tutor's page and the
office's board).

Nothing here is stored: a correction after locking, or a substitute assigned after the
statement was issued, is in the next reading. Everything is counted in the database, grouped
by (staff, lesson kind); the weights are applied to those few groups in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import TruncDate, TruncTime
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual

from attendance.models import AttendanceRecord, Lesson
from attendance.policy import policy_for

from ..models import WorkloadPolicy
from . import duties

Through = Lesson.tutors.through


def month_lessons(school_id: int, first: dt.date, last: dt.date):
    """The school's scheduled lessons between two dates (cancelled ones left out)."""
    return Lesson.objects.filter(term__school_id=school_id, date__range=(first, last),
                                 is_cancelled=False)


def _taken(prefix: str, outer: str) -> Q:
    marked = AttendanceRecord.objects.filter(lesson_id=OuterRef(outer), status__gt="")
    return Q(**{f"{prefix}roll_call_at__isnull": False}) | Q(Exists(marked))


def _on_time(prefix: str, grace_minutes: int) -> Q:
    """Taken no later than start + grace, compared in the school's time zone in SQL."""
    moved = ExpressionWrapper(F(f"{prefix}roll_call_at") - Value(dt.timedelta(minutes=grace_minutes)),
                              output_field=DateTimeField())
    day, time = TruncDate(moved), TruncTime(moved)
    return (Q(**{f"{prefix}roll_call_at__isnull": False})
            & (Q(LessThan(day, F(f"{prefix}date")))
               | (Q(Exact(day, F(f"{prefix}date")))
                  & Q(LessThanOrEqual(time, F(f"{prefix}start_time"))))))


def credits(school_id: int, first: dt.date, last: dt.date):
    """Two querysets of (staff, lesson) credits — substitutes' and tutors' — with the prefix
    under which each names the lesson and the expression of its lesson id."""
    lessons = month_lessons(school_id, first, last)
    substituted = lessons.filter(substitute__isnull=False)
    # The same lessons, joined once (``lesson__in=`` a subquery read the lessons twice).
    taught = Through.objects.filter(lesson__term__school_id=school_id,
                                    lesson__date__range=(first, last),
                                    lesson__is_cancelled=False, lesson__substitute__isnull=True)
    return (
        (substituted, "", "pk", "substitute_id", True),
        (taught, "lesson__", "lesson_id", "staff_id", False),
    )


@dataclass
class StaffCounts:
    """One member of staff's month: lessons by kind, duties, patrols, and the 课时 they make."""

    staff_id: int
    scheduled: int = 0
    delivered: int = 0
    on_time: int = 0
    substitutions: int = 0
    delivered_by_kind: dict = field(default_factory=lambda: defaultdict(int))
    duties: int = 0
    patrols: int = 0       # days with patrols recorded
    equivalents: Decimal = Decimal("0")

    def weigh(self, policy: WorkloadPolicy) -> None:
        total = sum((policy.weight_of(kind) * n for kind, n in self.delivered_by_kind.items()),
                    Decimal("0"))
        total += policy.weight_duty * self.duties + policy.weight_patrol * self.patrols
        self.equivalents = total.quantize(Decimal("0.01"))


def staff_counts(school, first: dt.date, last: dt.date,
                 policy: WorkloadPolicy) -> dict[int, StaffCounts]:
    """Every member of staff with a lesson, duty or patrol in the dates: their counts and 课时.

    Two grouped queries for the lessons (substitutes' and tutors'), one each for duties and
    patrols when the duty roster is installed; the rows are (staff × lesson kind), never
    lessons or records.
    """
    grace = policy_for(school.pk).roll_call_grace_minutes
    found: dict[int, StaffCounts] = {}
    for qs, prefix, outer, staff_field, as_substitute in credits(school.pk, first, last):
        taken = _taken(prefix, outer)
        rows = (qs.values(staff_field, f"{prefix}kind").order_by()
                .annotate(scheduled=Count("pk"),
                          delivered=Count("pk", filter=taken),
                          on_time=Count("pk", filter=_on_time(prefix, grace))))
        for row in rows:
            counts = found.setdefault(row[staff_field], StaffCounts(row[staff_field]))
            counts.scheduled += row["scheduled"]
            counts.delivered += row["delivered"]
            counts.on_time += row["on_time"]
            counts.delivered_by_kind[row[f"{prefix}kind"]] += row["delivered"]
            if as_substitute:
                counts.substitutions += row["delivered"]
    for staff_id, n in duties.duty_counts(school.pk, first, last).items():
        found.setdefault(staff_id, StaffCounts(staff_id)).duties = n
    for staff_id, n in duties.patrol_days(school.pk, first, last).items():
        found.setdefault(staff_id, StaffCounts(staff_id)).patrols = n
    for counts in found.values():
        counts.weigh(policy)
    return found


@dataclass(frozen=True)
class LedgerLine:
    """One delivered lesson, duty or patrol, as a statement lists it."""

    staff_id: int
    source: str
    kind: str
    date: dt.date
    title: str
    weight: Decimal
    lesson_id: int | None = None
    as_substitute: bool = False


def ledger_lines(school, first: dt.date, last: dt.date, policy: WorkloadPolicy,
                 staff_ids=None):
    """Each delivered lesson (and duty and patrol) with its date and weight, staff by staff.

    Streamed (``iterator``): a whole school's month is tens of thousands of lines.
    """
    for qs, prefix, outer, staff_field, as_substitute in credits(school.pk, first, last):
        if staff_ids is not None:
            qs = qs.filter(**{f"{staff_field}__in": list(staff_ids)})
        rows = (qs.filter(_taken(prefix, outer))
                .values_list(staff_field, f"{prefix}pk" if prefix else "pk",
                             f"{prefix}date", f"{prefix}start_time", f"{prefix}title",
                             f"{prefix}kind")
                .order_by(f"{prefix}date", f"{prefix}start_time", f"{prefix}pk" if prefix
                          else "pk"))
        for staff_id, lesson_id, date, start, title, kind in rows.iterator(chunk_size=2000):
            label = f"{start:%H:%M} {title}" + ("（代课）" if as_substitute else "")
            yield LedgerLine(staff_id=staff_id, source=f"lesson:{lesson_id}", kind=kind,
                             date=date, title=label[:200], weight=policy.weight_of(kind),
                             lesson_id=lesson_id, as_substitute=as_substitute)
    for item in duties.duty_lines(school.pk, first, last, staff_ids=staff_ids):
        yield LedgerLine(staff_id=item.staff_id, source=item.source, kind="duty",
                         date=item.date, title=item.title[:200], weight=policy.weight_duty)
    for item in duties.patrol_lines(school.pk, first, last, staff_ids=staff_ids):
        yield LedgerLine(staff_id=item.staff_id, source=item.source, kind="patrol",
                         date=item.date, title=item.title[:200], weight=policy.weight_patrol)


def ledger_totals(school, first: dt.date, last: dt.date,
                  policy: WorkloadPolicy) -> dict[int, Decimal]:
    """Each member of staff's 课时 in the dates, as the ledger reads now."""
    return {pk: c.equivalents for pk, c in staff_counts(school, first, last, policy).items()}
