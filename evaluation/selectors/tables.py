"""The tables of the monthly 公示, counted in the database from the attendance records.

``expected`` is the month's student-lessons: one per record of a lesson dated in the month that
was not cancelled (a lesson's records are made for exactly the students expected at it, after
withdrawals, holidays, 调休 days, suspensions and homeroom mode). Statuses are the records'
current values — a correction after locking is already in the record — and ``missing`` is a
record never marked, so ``present + late + leave + absent + missing = expected`` row by row.
The rate is (出勤 + 迟到) ÷ 应到.

Every table is one grouped query; no row per child or per record reaches Python.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q

from afterschool.models import Homeroom, Staff
from attendance.models import AttendanceRecord, Lesson
from courses.models import Course, Section

from ..models import WorkloadPolicy
from .ledger import staff_counts

S = AttendanceRecord.Status
STATUSES = ("present", "late", "leave", "absent")
# Lessons that belong to no course: one row each in the course table, so that its rows add
# up to the same month as the homeroom table's.
KIND_ROWS = {
    Lesson.Kind.HOMEWORK: "作业辅导",
    Lesson.Kind.HOMEROOM: "按班级开展（特色课程+作业辅导）",
    Lesson.Kind.FIXED: "固定课程",
    Lesson.Kind.READING: "寄宿生晚读",
    Lesson.Kind.COURSE: "特色课程（教学班已删除）",
}


def rate(present: int, late: int, expected: int) -> float | None:
    if not expected:
        return None
    return round(100 * (present + late) / expected, 1)


def _row(name: str, students: int, counts: dict) -> dict:
    row = {"name": name, "students": students, "expected": counts["expected"]}
    for status in STATUSES:
        row[status] = counts[status]
    row["missing"] = counts["missing"]
    row["rate"] = rate(row["present"], row["late"], row["expected"])
    return row


def _status_counts():
    return {"expected": Count("pk"),
            **{status: Count("pk", filter=Q(status=status)) for status in STATUSES},
            "missing": Count("pk", filter=Q(status=""))}


def month_records(school_id: int, first: dt.date, last: dt.date):
    return AttendanceRecord.objects.filter(lesson__term__school_id=school_id,
                                           lesson__date__range=(first, last),
                                           lesson__is_cancelled=False)


def homeroom_table(school_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """Per homeroom (the child's homeroom): children with a lesson in the month, their counts."""
    rows = (month_records(school_id, first, last)
            .values("student__homeroom_id").order_by()
            .annotate(students=Count("student_id", distinct=True), **_status_counts()))
    by_id = {row["student__homeroom_id"]: row for row in rows}
    homerooms = (Homeroom.objects.filter(pk__in=list(by_id)).select_related("grade")
                 .order_by("grade__number", "number"))
    return [{"id": h.pk, **_row(h.name, by_id[h.pk]["students"], by_id[h.pk])}
            for h in homerooms]


def _course_sql() -> str:
    """Records grouped by course (through the lesson's section) or, for lessons of no section,
    by the lesson's kind. Written as SQL because ``Lesson.section_id`` is a plain reference
    (a lesson outlives its section), which the ORM cannot join on."""
    q = connection.ops.quote_name
    record, lesson = q(AttendanceRecord._meta.db_table), q(Lesson._meta.db_table)
    term, section = q(Lesson._meta.get_field("term").related_model._meta.db_table), \
        q(Section._meta.db_table)
    counts = ", ".join(f"SUM(CASE WHEN r.status = '{s}' THEN 1 ELSE 0 END)" for s in STATUSES)
    return f"""
        SELECT s.course_id, CASE WHEN s.course_id IS NULL THEN l.kind ELSE '' END,
               COUNT(DISTINCT r.student_id), COUNT(*), {counts},
               SUM(CASE WHEN r.status = '' THEN 1 ELSE 0 END)
        FROM {record} r
        JOIN {lesson} l ON l.id = r.lesson_id
        JOIN {term} t ON t.id = l.term_id
        LEFT JOIN {section} s ON s.id = l.section_id
        WHERE t.school_id = %s AND l.date >= %s AND l.date <= %s AND l.is_cancelled = %s
        GROUP BY s.course_id, CASE WHEN s.course_id IS NULL THEN l.kind ELSE '' END"""


def course_table(school_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """Per course (its sections' lessons), then a row per kind of lesson with no course."""
    with connection.cursor() as cursor:
        cursor.execute(_course_sql(), [school_id, first, last, False])
        rows = cursor.fetchall()
    names = dict(Course.objects.filter(pk__in=[r[0] for r in rows if r[0]])
                 .values_list("pk", "name"))
    courses, kinds = [], []
    for course_id, kind, students, expected, *statuses in rows:
        present, late, leave, absent, missing = (int(x or 0) for x in statuses)
        counts = {"expected": int(expected), "present": present, "late": late, "leave": leave,
                  "absent": absent, "missing": missing}
        if course_id:
            courses.append({"id": course_id, **_row(names.get(course_id, "（已删除的课程）"),
                                                    int(students), counts)})
        else:
            kinds.append({"id": None, "kind": kind,
                          **_row(KIND_ROWS.get(kind, kind), int(students), counts)})
    courses.sort(key=lambda r: r["name"])
    kinds.sort(key=lambda r: list(KIND_ROWS).index(r["kind"]) if r["kind"] in KIND_ROWS else 99)
    return courses + kinds


def teacher_table(school, first: dt.date, last: dt.date, policy: WorkloadPolicy) -> list[dict]:
    """Per member of staff with a lesson, duty or patrol in the month."""
    counts = staff_counts(school, first, last, policy)
    staff = Staff.objects.filter(pk__in=list(counts)).order_by("is_external", "name", "pk")
    rows = []
    for person in staff:
        c = counts[person.pk]
        rows.append({
            "id": person.pk, "name": person.name, "phone": person.phone,
            "external": person.is_external,
            "lessons_scheduled": c.scheduled, "lessons_delivered": c.delivered,
            "roll_calls_on_time": c.on_time, "substitutions": c.substitutions,
            "duties": c.duties, "patrols": c.patrols,
            "period_equivalents": float(c.equivalents),
        })
    return rows


def totals(rows: list[dict]) -> dict:
    """The sum of a homeroom or course table: the month's whole school."""
    out = {key: sum(r[key] for r in rows) for key in ("expected", *STATUSES, "missing")}
    out["rate"] = rate(out["present"], out["late"], out["expected"])
    return out


def decimal_sum(values) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal("0"))
