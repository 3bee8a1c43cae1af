"""The tables of the monthly 公示, counted in the database from the attendance records.

``expected`` is the month's student-lessons: one per record of a lesson dated in the month that
was not cancelled (a lesson's records are made for exactly the students expected at it, after
withdrawals, holidays, 调休 days, suspensions and homeroom mode). Statuses are the records'
current values — a correction after locking is already in the record — and ``missing`` is a
record never marked, so ``present + late + leave + absent + missing = expected`` row by row.
The rate is (出勤 + 迟到) ÷ 应到.

The homeroom and course tables are one query: for a whole month on PostgreSQL over the month's
tallies (:class:`~attendance.models.AttendanceTally`, a few rows a child, kept equal to the
records by the database in every writing transaction), otherwise in one pass over the records;
the teachers' a few grouped queries (:mod:`.ledger`). No row per child or per record reaches
Python.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from afterschool.models import Homeroom, Staff, Student
from afterschool.months import last_day
from attendance.models import AttendanceRecord, AttendanceTally, Lesson
from attendance.tally import tally_maintained
from courses.models import Course, Section

from ..models import WorkloadPolicy
from .ledger import staff_counts

S = AttendanceRecord.Status
STATUSES = ("present", "late", "leave", "absent")
NAMES = [f"n_{s or 'missing'}" for s in (*STATUSES, "")]
TALLY_COUNTS = ("present", "late", "on_leave", "absent", "missing")   # in NAMES' order
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


def _per_from_records() -> str:
    """Each child's counts per course, from the records: one pass over the month's."""
    q = connection.ops.quote_name
    record, lesson = q(AttendanceRecord._meta.db_table), q(Lesson._meta.db_table)
    term = q(Lesson._meta.get_field("term").related_model._meta.db_table)
    section = q(Section._meta.db_table)
    counts = ", ".join(f"SUM(CASE WHEN r.status = '{s}' THEN 1 ELSE 0 END)::integer AS {name}"
                       for s, name in zip((*STATUSES, ""), NAMES, strict=True))
    kind = "CASE WHEN s.course_id IS NULL THEN l.kind ELSE '' END"
    return f"""
            SELECT r.student_id, s.course_id, {kind} AS kind, COUNT(*)::integer AS n, {counts}
            FROM {record} r
            JOIN {lesson} l ON l.id = r.lesson_id
            JOIN {term} t ON t.id = l.term_id
            LEFT JOIN {section} s ON s.id = l.section_id
            WHERE t.school_id = %s AND l.date >= %s AND l.date <= %s AND l.is_cancelled = %s
            GROUP BY r.student_id, s.course_id, {kind}"""


def _per_from_tallies() -> str:
    """The same rows from the month's tallies (:mod:`attendance.tally`): a few per child."""
    q = connection.ops.quote_name
    tally, section = q(AttendanceTally._meta.db_table), q(Section._meta.db_table)
    counts = ", ".join(f"SUM(a.{column})::integer AS {name}"
                       for column, name in zip(TALLY_COUNTS, NAMES, strict=True))
    kind = "CASE WHEN s.course_id IS NULL THEN a.kind ELSE '' END"
    return f"""
            SELECT a.student_id, s.course_id, {kind} AS kind, SUM(a.expected)::integer AS n,
                   {counts}
            FROM {tally} a
            LEFT JOIN {section} s ON s.id = a.section_id
            WHERE a.school_id = %s AND a.month = %s AND a.expected > 0
            GROUP BY a.student_id, s.course_id, {kind}"""


def _sql(per: str) -> str:
    """Both tables in one query, as SQL.

    First each child's counts per course (``per``: a row per child and course or kind of
    lesson, grouped by hashing in memory), then those rows summed per homeroom and per course.
    Counting distinct children over the records directly sorted every record (on disk at
    240,000); two separate queries read the records twice. SQL rather than the ORM because
    ``Lesson.section_id`` is a plain reference (a lesson outlives its section) that the ORM
    cannot join on, and a grouped subquery read twice is beyond it.
    """
    student = connection.ops.quote_name(Student._meta.db_table)
    sums = ", ".join(f"SUM(per.{name})" for name in NAMES)
    per_kid = ", ".join(f"SUM(per.{name})::integer AS {name}" for name in NAMES)
    kid_sums = ", ".join(f"SUM(kid.{name})" for name in NAMES)
    # ``kid``: a row per child, so the homerooms count children without COUNT(DISTINCT …)
    # (which sorts); every step is a hash aggregate, of integers (a SUM of bigints would be
    # numeric, slower to add).
    return f"""
        WITH per AS ({per}),
        kid AS (SELECT per.student_id, SUM(per.n)::integer AS n, {per_kid}
                FROM per GROUP BY per.student_id)
        SELECT 'homeroom', st.homeroom_id, NULL, COUNT(*), SUM(kid.n), {kid_sums}
        FROM kid JOIN {student} st ON st.id = kid.student_id
        GROUP BY st.homeroom_id
        UNION ALL
        SELECT 'course', per.course_id, per.kind, COUNT(*), SUM(per.n), {sums}
        FROM per
        GROUP BY per.course_id, per.kind"""


def _counts(expected, statuses) -> dict:
    present, late, leave, absent, missing = (int(x or 0) for x in statuses)
    return {"expected": int(expected or 0), "present": present, "late": late, "leave": leave,
            "absent": absent, "missing": missing}


def attendance_tables(school_id: int, first: dt.date, last: dt.date) -> tuple[list, list]:
    """(homerooms, courses): per homeroom (the child's), the children with a lesson in the
    month and their counts; per course (its sections' lessons), then a row per kind of lesson
    with no course. One query for the counts, one each for the names."""
    whole_month = first.day == 1 and last == last_day(first)
    with connection.cursor() as cursor:
        if whole_month and tally_maintained():
            cursor.execute(_sql(_per_from_tallies()), [school_id, first])
        else:
            cursor.execute(_sql(_per_from_records()), [school_id, first, last, False])
        rows = cursor.fetchall()
    homeroom_rows = {key: (int(students), _counts(expected, statuses))
                     for table, key, _, students, expected, *statuses in rows
                     if table == "homeroom"}
    homerooms = (Homeroom.objects.filter(pk__in=list(homeroom_rows)).select_related("grade")
                 .order_by("grade__number", "number"))
    by_homeroom = [{"id": h.pk, **_row(h.name, *homeroom_rows[h.pk])} for h in homerooms]
    course_rows = [row[1:] for row in rows if row[0] == "course"]
    names = dict(Course.objects.filter(pk__in=[r[0] for r in course_rows if r[0]])
                 .values_list("pk", "name"))
    courses, kinds = [], []
    for course_id, kind, students, expected, *statuses in course_rows:
        counts = _counts(expected, statuses)
        if course_id:
            courses.append({"id": course_id, **_row(names.get(course_id, "（已删除的课程）"),
                                                    int(students), counts)})
        else:
            kinds.append({"id": None, "kind": kind,
                          **_row(KIND_ROWS.get(kind, kind), int(students), counts)})
    courses.sort(key=lambda r: r["name"])
    kinds.sort(key=lambda r: list(KIND_ROWS).index(r["kind"]) if r["kind"] in KIND_ROWS else 99)
    return by_homeroom, courses + kinds


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
