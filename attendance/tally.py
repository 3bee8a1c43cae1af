"""The monthly tallies (:class:`~attendance.models.AttendanceTally`): rebuilt, checked, read.

A tally row is one child's records of one month and one section (or kind of lesson without a
section), counted by status, over the lessons not cancelled. PostgreSQL keeps the rows in the
transaction that writes: statement triggers on the records (insert, update, delete) and on the
lessons (a lesson cancelled or restored, moved to another month, section or kind) add the
difference they make — installed by migration ``attendance.0004``. So every writer keeps them,
not only the services: lesson generation, a roll call, a correction after locking, approved
leave, a withdrawal, the demo, the loaders and a shell.

- **Exact**: each statement adds (new rows − old rows) grouped by key, as increments
  (``ON CONFLICT … DO UPDATE SET n = n + excluded.n``), so two tutors writing at once add both
  (the row lock orders them; no read-modify-write in Python). A record's trigger first takes
  its lessons ``FOR SHARE``: a lesson cancelled while its records are being marked waits or is
  waited for, and whichever comes second sees the other's result.
- **Cheap**: a roll call's ``UPDATE`` of 25 records is one grouped upsert of up to 25 rows
  inside the same statement — no extra round trip for the service.
- **Repairable**: :func:`tally_rebuild` recomputes rows from the records (the migration runs it
  for existing data; ``manage.py attendance_tally --rebuild`` after a restore or a bulk load
  with triggers disabled); :func:`tally_differences` compares them (``--check``).

On SQLite (the embedded single-school default) there are no triggers: :func:`tally_maintained`
says so and the reports count the records directly.
"""

from __future__ import annotations

from django.db import connection, transaction

from .models import AttendanceRecord, AttendanceTally, Lesson

STATUSES = ("present", "late", "leave", "absent", "")
COUNTS = ("present", "late", "on_leave", "absent", "missing")   # the tally's columns, in order
KEY = ("school_id", "month", "student_id", "section_id", "kind")


def tally_maintained() -> bool:
    """Whether the database keeps the tallies (PostgreSQL with the triggers)."""
    return connection.vendor == "postgresql"


def _names() -> dict:
    q = connection.ops.quote_name
    return {"tally": q(AttendanceTally._meta.db_table),
            "record": q(AttendanceRecord._meta.db_table),
            "lesson": q(Lesson._meta.db_table),
            "term": q(Lesson._meta.get_field("term").related_model._meta.db_table)}


def recount_sql(where: str = "") -> str:
    """The tallies as the records say now: (key…, expected, present, late, on_leave, absent,
    missing) per key, for the schools ``where`` selects (a condition on ``te.school_id``)."""
    n = _names()
    counts = ", ".join(f"SUM(CASE WHEN r.status = '{s}' THEN 1 ELSE 0 END)" for s in STATUSES)
    return f"""
        SELECT te.school_id, date_trunc('month', l.date::timestamp)::date, r.student_id,
               COALESCE(l.section_id, 0), l.kind, COUNT(*), {counts}
        FROM {n['record']} r
        JOIN {n['lesson']} l ON l.id = r.lesson_id
        JOIN {n['term']} te ON te.id = l.term_id
        WHERE NOT l.is_cancelled {('AND ' + where) if where else ''}
        GROUP BY 1, 2, 3, 4, 5"""


def tally_rebuild(*, school_id: int | None = None) -> int:
    """Recompute the tallies of one school (or all) from the records; returns the rows.

    The table is locked against the triggers' writes meanwhile (``SHARE ROW EXCLUSIVE``): a
    roll call running now either committed before (and is counted from its records) or waits
    and adds its difference to the rebuilt rows.
    """
    if not tally_maintained():
        return 0
    n = _names()
    where, params = ("te.school_id = %s", [school_id]) if school_id is not None else ("", [])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {n['tally']} IN SHARE ROW EXCLUSIVE MODE")
        if school_id is None:
            cursor.execute(f"DELETE FROM {n['tally']}")
        else:
            cursor.execute(f"DELETE FROM {n['tally']} WHERE school_id = %s", [school_id])
        columns = ", ".join((*KEY, "expected", *COUNTS))
        cursor.execute(f"INSERT INTO {n['tally']} ({columns}) {recount_sql(where)}", params)
        return cursor.rowcount


def tally_differences(*, school_id: int | None = None, limit: int = 20) -> list[dict]:
    """Rows where the tallies and a recount of the records disagree (none when all is well)."""
    if not tally_maintained():
        return []
    n = _names()
    where, params = ("te.school_id = %s", [school_id]) if school_id is not None else ("", [])
    mine = "WHERE school_id = %s AND expected <> 0" if school_id is not None \
        else "WHERE expected <> 0"
    values = ("expected", *COUNTS)
    columns = ", ".join((*KEY, *values))
    differs = " OR ".join(f"a.{v} IS DISTINCT FROM b.{v}" for v in values)
    sql = f"""
        WITH a AS (SELECT {columns} FROM {n['tally']} {mine}),
             b ({columns}) AS ({recount_sql(where)})
        SELECT {', '.join(f'COALESCE(a.{k}, b.{k})' for k in KEY)},
               {', '.join(f'a.{v}' for v in values)}, {', '.join(f'b.{v}' for v in values)}
        FROM a FULL JOIN b USING ({', '.join(KEY)})
        WHERE {differs}
        ORDER BY 1, 2, 3, 4, 5
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*([school_id] if school_id is not None else []), *params, limit])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        key, kept, counted = row[:5], row[5:5 + len(values)], row[5 + len(values):]
        out.append({**dict(zip(KEY, key, strict=True)),
                    "kept": dict(zip(values, kept, strict=True)),
                    "records": dict(zip(values, counted, strict=True))})
    return out
