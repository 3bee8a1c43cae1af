"""Reads of attendance: querysets and small mappings with their joins applied, so a page or a
roster never queries once per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from .models import AttendanceRecord, LeaveRequest, Lesson

L = LeaveRequest.Status

# ---------------------------------------------------------------------------- leave


def approved_leave_for(lesson: Lesson) -> dict[int, LeaveRequest]:
    """The approved leave of each student expected at ``lesson``: {student_id: leave}, in one
    query. A leave covers the lesson when the lesson's date is in its range and it names no
    particular lessons, or names this one."""
    expected = AttendanceRecord.objects.filter(lesson=lesson).values("student_id")
    leaves = (LeaveRequest.objects
              .filter(status=L.APPROVED, student_id__in=expected,
                      start_date__lte=lesson.date, end_date__gte=lesson.date)
              .filter(Q(lessons__isnull=True) | Q(lessons=lesson))
              .order_by("requested_at", "pk"))
    return {leave.student_id: leave for leave in leaves}


def leave_covering(*, lessons: Iterable[Lesson],
                   student_ids: Iterable[int] | None = None) -> dict[tuple[int, int], LeaveRequest]:
    """The approved leave covering each (lesson, student): {(lesson_id, student_id): leave}.

    For lesson generation (lessons made after a leave was approved) and for approving a leave
    (the lessons already made). Two queries, whatever the number of lessons and students.
    ``student_ids`` limits the students (default: those expected at the lessons); pass the
    students when the records are not written yet.
    """
    lessons = list(lessons)
    if not lessons:
        return {}
    dates = [lesson.date for lesson in lessons]
    leaves = LeaveRequest.objects.filter(status=L.APPROVED, start_date__lte=max(dates),
                                         end_date__gte=min(dates),
                                         term_id__in={lesson.term_id for lesson in lessons})
    if student_ids is not None:
        leaves = leaves.filter(student_id__in=list(student_ids))
    else:
        leaves = leaves.filter(student_id__in=AttendanceRecord.objects.filter(
            lesson__in=[lesson.pk for lesson in lessons]).values("student_id"))
    leaves = list(leaves.prefetch_related("lessons").order_by("requested_at", "pk"))
    by_student: dict[int, list[LeaveRequest]] = {}
    for leave in leaves:
        by_student.setdefault(leave.student_id, []).append(leave)
    if student_ids is None:
        pairs = AttendanceRecord.objects.filter(
            lesson__in=[lesson.pk for lesson in lessons],
            student_id__in=list(by_student)).values_list("lesson_id", "student_id")
    else:
        wanted = list(student_ids)
        pairs = [(lesson.pk, sid) for lesson in lessons for sid in wanted if sid in by_student]
    lesson_by_id = {lesson.pk: lesson for lesson in lessons}
    found: dict[tuple[int, int], LeaveRequest] = {}
    for lesson_id, student_id in pairs:
        lesson = lesson_by_id[lesson_id]
        for leave in by_student.get(student_id, ()):
            if leave_covers(leave, lesson):
                found[(lesson_id, student_id)] = leave
                break
    return found


def leave_covers(leave: LeaveRequest, lesson: Lesson) -> bool:
    """Whether ``leave`` (its ``lessons`` prefetched) covers ``lesson``, whatever its status."""
    if not leave.start_date <= lesson.date <= leave.end_date:
        return False
    named = [x.pk for x in leave.lessons.all()]
    return not named or lesson.pk in named


def lesson_start(lesson: Lesson) -> dt.datetime:
    """When a lesson begins, as an aware datetime in the school's time zone."""
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(lesson.date, lesson.start_time))


def leave_requests_listed(qs):
    """Leave requests with what a list shows: the child, the homeroom, who asked, the lessons."""
    return (qs.select_related("student__homeroom__grade", "requested_by", "decided_by")
            .prefetch_related("lessons").order_by("start_date", "requested_at", "pk"))


def leave_with_history(qs):
    from django.db.models import Prefetch

    from .models import LeaveRequestChange

    return qs.select_related("student__homeroom__grade", "requested_by", "decided_by",
                             "term").prefetch_related(
        "lessons", Prefetch("changes", queryset=LeaveRequestChange.objects.select_related(
            "actor").order_by("at", "pk")))


def student_records(student_id: int):
    """A child's records, newest first, each with its lesson, leave, alert and number of
    corrections: the attendance history."""
    from django.db.models import Count

    return (AttendanceRecord.objects.filter(student_id=student_id, lesson__is_cancelled=False)
            .select_related("lesson", "leave", "alert")
            .annotate(correction_count=Count("corrections"))
            .order_by("-lesson__date", "-lesson__start_time", "-pk"))


def student_day(student_id: int, day: dt.date):
    """The child's day record: every lesson of the day with its record, who marked it, the
    leave, the alert (who was told, who handled it) and the corrections."""
    from django.db.models import Prefetch

    from .models import AttendanceCorrection

    return list(
        AttendanceRecord.objects.filter(student_id=student_id, lesson__date=day)
        .select_related("lesson", "leave", "marked_by", "alert__handled_by")
        .prefetch_related(Prefetch("corrections", queryset=AttendanceCorrection.objects
                                   .select_related("corrected_by").order_by("corrected_at")),
                          "lesson__tutors")
        .order_by("lesson__start_time", "pk"))


def records_on(*, student_ids, day: dt.date) -> dict[int, list[AttendanceRecord]]:
    """Each child's records of one day (today's state), in one query."""
    rows = (AttendanceRecord.objects.filter(student_id__in=list(student_ids), lesson__date=day)
            .select_related("lesson", "leave", "alert").order_by("lesson__start_time", "pk"))
    found: dict[int, list[AttendanceRecord]] = {}
    for row in rows:
        found.setdefault(row.student_id, []).append(row)
    return found


def alerts_listed(qs):
    return (qs.select_related("student__homeroom__grade", "lesson", "handled_by")
            .order_by("status", "-raised_at", "-pk"))


def upcoming_lessons_of(student_id: int, *, since: dt.datetime, days: int = 14):
    """The child's lessons from ``since`` over the next ``days`` days, for choosing particular
    lessons to ask leave for."""
    from django.utils import timezone

    today = timezone.localdate(since)
    lessons = (Lesson.objects.filter(records__student_id=student_id, is_cancelled=False,
                                     date__gte=today, date__lte=today + dt.timedelta(days=days))
               .order_by("date", "start_time"))
    return [x for x in lessons if lesson_start(x) > since]


# ---------------------------------------------------------------------------- lessons and records
# (part A: the tutor's day, the roster, the office's board, the homeroom's day and month)

STATUS_ORDER = ("absent", "leave", "late", "present")  # a day's cell shows the first that occurs


def lessons_with_counts(qs):
    """Lessons with their tutors and the count of each status (``n_present`` …, ``n_missing``:
    not marked yet, ``n_expected``), in one query plus one for the tutors."""
    from django.db.models import Count

    s = AttendanceRecord.Status
    return (qs.select_related("period", "homeroom", "substitute", "roll_call_by")
            .prefetch_related("tutors")
            .annotate(n_expected=Count("records"),
                      n_present=Count("records", filter=Q(records__status=s.PRESENT)),
                      n_late=Count("records", filter=Q(records__status=s.LATE)),
                      n_leave=Count("records", filter=Q(records__status=s.LEAVE)),
                      n_absent=Count("records", filter=Q(records__status=s.ABSENT)),
                      n_missing=Count("records", filter=Q(records__status=""))))


def staff_lessons_on(qs, staff, date: dt.date):
    """The lessons ``staff`` teaches or substitutes on ``date`` (cancelled ones left out)."""
    mine = Lesson.tutors.through.objects.filter(staff=staff).values("lesson_id")
    return lessons_with_counts(
        qs.filter(date=date, is_cancelled=False).filter(Q(pk__in=mine) | Q(substitute=staff))
        .exclude(~Q(substitute=staff) & Q(substitute__isnull=False))
        .order_by("start_time", "title"))


def lesson_roster(lesson: Lesson) -> list[dict]:
    """The roll-call roster: each record with the child's markers — approved leave, a health
    note, goes home alone — and the status to show (the stored one, else 请假 for approved
    leave, else 出勤). Three queries, whatever the size of the lesson."""
    from enrollment.models import Application

    records = list(lesson.records.select_related("student__homeroom__grade")
                   .order_by("student__homeroom__grade__number", "student__homeroom__number",
                             "student__name", "student_id"))
    leaves = approved_leave_for(lesson)
    forms = {a["student_id"]: a for a in Application.objects.filter(
        term_id=lesson.term_id, student_id__in=[r.student_id for r in records]).values(
        "student_id", "health_notes", "allergies", "dismissal")}
    roster = []
    for record in records:
        form = forms.get(record.student_id, {})
        health = "；".join(x for x in (form.get("health_notes", ""), form.get("allergies", ""))
                          if x)
        leave = leaves.get(record.student_id)
        shown = record.status or ("leave" if leave else "present")
        roster.append({"record": record, "student": record.student, "leave": leave,
                       "health": health, "alone": form.get("dismissal") == "alone",
                       "status": shown})
    return roster


def record_corrections(lesson: Lesson):
    from .models import AttendanceCorrection

    return (AttendanceCorrection.objects.filter(record__lesson=lesson)
            .select_related("record__student", "corrected_by").order_by("corrected_at", "pk"))


def homeroom_day(homeroom, date: dt.date) -> list[dict]:
    """Each child of the homeroom with their records of ``date`` (lesson, status)."""
    from afterschool.models import Student

    students = list(Student.objects.filter(homeroom=homeroom, is_active=True)
                    .order_by("name", "pk"))
    by_student: dict[int, list] = {}
    for record in (AttendanceRecord.objects
                   .filter(student__homeroom=homeroom, lesson__date=date,
                           lesson__is_cancelled=False)
                   .select_related("lesson").order_by("lesson__start_time", "lesson__title")):
        by_student.setdefault(record.student_id, []).append(record)
    return [{"student": s, "records": by_student.get(s.pk, [])} for s in students]


def homeroom_month(homeroom, first: dt.date) -> dict:
    """The homeroom's month: one row per child, one cell per date with lessons, showing the
    day's most serious status (缺勤 > 请假 > 迟到 > 出勤; "missing" when not taken)."""
    from afterschool.models import Student

    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    students = list(Student.objects.filter(homeroom=homeroom, is_active=True)
                    .order_by("name", "pk"))
    cells: dict[tuple[int, dt.date], set] = {}
    for student_id, date, status in (AttendanceRecord.objects
                                     .filter(student__homeroom=homeroom,
                                             lesson__date__range=(first, last),
                                             lesson__is_cancelled=False)
                                     .values_list("student_id", "lesson__date", "status")):
        cells.setdefault((student_id, date), set()).add(status)
    dates = sorted({d for _, d in cells})
    rows = []
    for student in students:
        row = []
        totals = dict.fromkeys(STATUS_ORDER, 0)
        for date in dates:
            statuses = cells.get((student.pk, date))
            if not statuses:
                row.append(None)
                continue
            worst = next((s for s in STATUS_ORDER if s in statuses), "missing")
            if "" in statuses and worst == "present":
                worst = "missing"
            totals[worst] = totals.get(worst, 0) + 1
            row.append(worst)
        rows.append({"student": student, "cells": row, "totals": totals})
    return {"first": first, "last": last, "dates": dates, "rows": rows}


def records_report(qs, *, grade=None, homeroom=None, course=None, date_from=None,
                   date_to=None):
    """Records for the office's report and its .xlsx, filtered, with everything a row shows."""
    if grade is not None:
        qs = qs.filter(student__homeroom__grade=grade)
    if homeroom is not None:
        qs = qs.filter(student__homeroom=homeroom)
    if course is not None:
        from courses.models import Section

        qs = qs.filter(lesson__section_id__in=Section.objects.filter(course=course)
                       .values("pk"))
    if date_from is not None:
        qs = qs.filter(lesson__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(lesson__date__lte=date_to)
    return (qs.filter(lesson__is_cancelled=False)
            .select_related("lesson", "student__homeroom__grade", "marked_by")
            .order_by("lesson__date", "lesson__start_time", "lesson__title",
                      "student__homeroom__number", "student__name"))


def record_totals(qs) -> dict:
    from django.db.models import Count

    s = AttendanceRecord.Status
    return qs.aggregate(total=Count("pk"),
                        present=Count("pk", filter=Q(status=s.PRESENT)),
                        late=Count("pk", filter=Q(status=s.LATE)),
                        leave=Count("pk", filter=Q(status=s.LEAVE)),
                        absent=Count("pk", filter=Q(status=s.ABSENT)),
                        missing=Count("pk", filter=Q(status="")))
