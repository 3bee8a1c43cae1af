"""Reads of the dashboards: the aggregate tables, shaped for the pages and the exports.

Every function reads the aggregate rows of one school (or of a district's schools) for a
month — a fixed handful of queries whatever the number of students and records. Only
:func:`homeroom_children` reads records (one homeroom's month, for those who may see its
children), and nothing the bureau reaches calls it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q

from afterschool.models import Homeroom, School
from attendance.models import AttendanceRecord
from enrollment.models import Application

from .models import (
    DailySchoolStat,
    MonthlyCourseStat,
    MonthlyHomeroomStat,
    MonthlySchoolStat,
    MonthlyStaffStat,
)
from .months import last_day, shift

STATUSES = ("present", "late", "leave", "absent", "missing")


def pct(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def attendance_rate(row) -> float | None:
    return pct(row.present + row.late, row.expected)


# ---------------------------------------------------------------------------- one school


@dataclass
class Figures:
    """The headline figures of a school's month, each a rate with what it is made of."""

    stat: MonthlySchoolStat

    @property
    def participation(self):
        return pct(self.stat.applied, self.stat.students)

    @property
    def attendance(self):
        return attendance_rate(self.stat)

    @property
    def on_time(self):
        return pct(self.stat.lessons_on_time, self.stat.lessons_taken)

    @property
    def taken(self):
        return pct(self.stat.lessons_taken, self.stat.lessons)

    @property
    def staff(self):
        return pct(self.stat.staff_taking_part, self.stat.staff_total)

    @property
    def satisfaction(self):
        if not self.stat.survey_answered:
            return None
        return pct(self.stat.survey_satisfied, self.stat.survey_answered)

    @property
    def alert_mean_minutes(self):
        s = self.stat
        return round(s.alert_minutes / s.alerts_handled) if s.alerts_handled else None

    @property
    def alerts_within_30(self):
        return pct(self.stat.alerts_handled_30, self.stat.alerts_handled)


def school_month(school: School, month: dt.date) -> MonthlySchoolStat | None:
    return MonthlySchoolStat.objects.filter(school=school, month=month).select_related(
        "term").first()


def months_with_data(school: School) -> list[dt.date]:
    return list(MonthlySchoolStat.objects.filter(school=school).order_by("-month")
                .values_list("month", flat=True)[:24])


def trend(school: School, month: dt.date, months: int = 6) -> list[MonthlySchoolStat]:
    """The school's months up to ``month`` (at most ``months``), oldest first."""
    rows = list(MonthlySchoolStat.objects.filter(
        school=school, month__range=(shift(month, -(months - 1)), month)).order_by("month"))
    return rows


@dataclass
class Period:
    label: str
    first: dt.date
    last: dt.date
    expected: int = 0
    present: int = 0
    late: int = 0
    leave: int = 0
    absent: int = 0
    missing: int = 0
    lessons: int = 0
    lessons_taken: int = 0
    lessons_on_time: int = 0
    alerts: int = 0
    alerts_handled: int = 0

    @property
    def rate(self):
        return attendance_rate(self)

    @property
    def on_time_rate(self):
        return pct(self.lessons_on_time, self.lessons_taken)


ADDED = ("expected", *STATUSES, "lessons", "lessons_taken", "lessons_on_time", "alerts",
         "alerts_handled")


def weeks(school: School, month: dt.date) -> list[Period]:
    """The month's days by week (Monday to Sunday, cut at the month's ends)."""
    found: dict[dt.date, Period] = {}
    for day in DailySchoolStat.objects.filter(school=school,
                                              date__range=(month, last_day(month))
                                              ).order_by("date"):
        monday = day.date - dt.timedelta(days=day.date.weekday())
        first, last = max(monday, month), min(monday + dt.timedelta(days=6), last_day(month))
        period = found.setdefault(monday, Period(
            label=f"{first.month}月{first.day}日–{last.day}日", first=first, last=last))
        for name in ADDED:
            setattr(period, name, getattr(period, name) + getattr(day, name))
    return list(found.values())


@dataclass
class GradeRow:
    grade_id: int
    name: str
    homerooms: list = field(default_factory=list)
    totals: dict = field(default_factory=lambda: defaultdict(int))

    def __getattr__(self, name):
        if name in ("students", "applied", "declined", "approved", "placed", "expected",
                    *STATUSES):
            return self.totals[name]
        raise AttributeError(name)

    @property
    def participation(self):
        return pct(self.totals["applied"], self.totals["students"])

    @property
    def rate(self):
        return pct(self.totals["present"] + self.totals["late"], self.totals["expected"])


def grades(school: School, month: dt.date) -> list[GradeRow]:
    """Participation and attendance by grade, each with its homerooms (one query)."""
    found: dict[int, GradeRow] = {}
    for row in (MonthlyHomeroomStat.objects.filter(school=school, month=month)
                .select_related("homeroom__grade", "homeroom__head_teacher")
                .order_by("homeroom__grade__number", "homeroom__number")):
        grade = row.homeroom.grade
        entry = found.setdefault(grade.pk, GradeRow(grade_id=grade.pk, name=grade.name))
        entry.homerooms.append(row)
        for name in ("students", "applied", "declined", "approved", "placed", "expected",
                     *STATUSES):
            entry.totals[name] += getattr(row, name)
    return list(found.values())


def staff_load(school: School, month: dt.date) -> list[MonthlyStaffStat]:
    return list(MonthlyStaffStat.objects.filter(school=school, month=month)
                .select_related("staff").order_by("-period_equivalents", "staff__name"))


@dataclass
class Spread:
    count: int
    low: Decimal | None
    median: Decimal | None
    high: Decimal | None

    @property
    def ratio(self):
        """How many times the busiest teacher's load the lightest's is."""
        if not self.low:
            return None
        return round(float(self.high / self.low), 1)


def spread(rows: list[MonthlyStaffStat]) -> Spread:
    values = sorted(r.period_equivalents for r in rows if r.period_equivalents)
    if not values:
        return Spread(0, None, None, None)
    return Spread(len(values), values[0], Decimal(str(statistics.median(values))), values[-1])


def courses(school: School, month: dt.date) -> list[MonthlyCourseStat]:
    rows = list(MonthlyCourseStat.objects.filter(school=school, month=month)
                .select_related("course"))
    return sorted(rows, key=lambda r: (-(pct(r.placed_students, r.capacity) or 0),
                                       r.course.name))


def homeroom_children(homeroom: Homeroom, month: dt.date, students) -> list[dict]:
    """One homeroom's children with their month (the drill-down's last step): their form and
    their records counted. ``students``: the children the person may see."""
    last = last_day(month)
    children = list(students.filter(homeroom=homeroom).order_by("student_no"))
    counts = {row["student_id"]: row for row in (
        AttendanceRecord.objects.filter(student__in=[c.pk for c in children],
                                        lesson__date__range=(month, last),
                                        lesson__is_cancelled=False)
        .values("student_id").order_by()
        .annotate(expected=Count("pk"), missing=Count("pk", filter=Q(status="")),
                  **{s: Count("pk", filter=Q(status=s))
                     for s in ("present", "late", "leave", "absent")}))}
    from .aggregates import terms_for

    term = terms_for(month, [homeroom.school_id]).get(homeroom.school_id)
    forms = dict(Application.objects.filter(term=term, student__in=children)
                 .values_list("student_id", "status")) if term else {}
    labels = dict(Application.Status.choices)
    rows = []
    for child in children:
        c = counts.get(child.pk, {})
        expected = c.get("expected", 0)
        rows.append({"student": child, "form": labels.get(forms.get(child.pk), "未填写"),
                     "expected": expected,
                     **{s: c.get(s, 0) for s in STATUSES},
                     "rate": pct(c.get("present", 0) + c.get("late", 0), expected)})
    return rows


def built_at(school: School, month: dt.date):
    return MonthlySchoolStat.objects.filter(school=school, month=month).aggregate(
        at=Max("built_at"))["at"]


# ---------------------------------------------------------------------------- the district


@dataclass
class SchoolRow:
    """One school of the district in a month: aggregates only."""

    school: School
    stat: MonthlySchoolStat | None

    @property
    def figures(self) -> Figures | None:
        return Figures(self.stat) if self.stat else None

    def value(self, measure: str):
        if self.stat is None:
            return None
        return MEASURES[measure][1](self.stat)


# Each measure of the comparison: label, value from a month's row, unit.
MEASURES = {
    "participation": ("参与率", lambda s: pct(s.applied, s.students), "%"),
    "attendance": ("出勤率", attendance_rate, "%"),
    "on_time": ("按时点名率", lambda s: pct(s.lessons_on_time, s.lessons_taken), "%"),
    "satisfaction": ("家长满意率", lambda s: pct(s.survey_satisfied, s.survey_answered)
                     if s.survey_answered else None, "%"),
    "staff": ("教师参与率", lambda s: pct(s.staff_taking_part, s.staff_total), "%"),
    "subsidy": ("已发补助", lambda s: float(s.subsidy) if s.subsidy is not None else None, "元"),
    "findings": ("巡查发现问题", lambda s: s.findings, "个"),
}


def district_rows(schools, month: dt.date) -> list[SchoolRow]:
    """Every school of the district with its month's row: two queries."""
    schools = list(schools.order_by("name"))
    stats = {s.school_id: s for s in MonthlySchoolStat.objects.filter(
        school__in=[s.pk for s in schools], month=month)}
    return [SchoolRow(school=s, stat=stats.get(s.pk)) for s in schools]


def district_totals(rows: list[SchoolRow]) -> dict:
    """The district's own figures: sums of the schools' counts, rates of the sums."""
    stats = [r.stat for r in rows if r.stat is not None]
    total = {name: sum(getattr(s, name) for s in stats) for name in (
        "students", "applied", "expected", "present", "late", "lessons_taken",
        "lessons_on_time", "staff_total", "staff_taking_part")}
    answered = sum(s.survey_answered or 0 for s in stats)
    satisfied = sum(s.survey_satisfied or 0 for s in stats)
    subsidy = [s.subsidy for s in stats if s.subsidy is not None]
    findings = [s.findings for s in stats if s.findings is not None]
    return {
        "schools": len(rows), "reporting": len(stats), **total,
        "participation": pct(total["applied"], total["students"]),
        "attendance": pct(total["present"] + total["late"], total["expected"]),
        "on_time": pct(total["lessons_on_time"], total["lessons_taken"]),
        "satisfaction": pct(satisfied, answered),
        "staff": pct(total["staff_taking_part"], total["staff_total"]),
        "subsidy": sum(subsidy) if subsidy else None,
        "findings": sum(findings) if findings else None,
    }



