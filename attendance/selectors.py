"""Reads of attendance: querysets and small mappings with their joins applied, so a page or a
roster never queries once per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery

from afterschool.cleaning import mask_phone

from .models import AttendanceRecord, LeaveRequest, Lesson

LeaveStatus = LeaveRequest.Status

# ---------------------------------------------------------------------------- leave


def _approved_leave_covering(lesson: Lesson):
    """Approved leave covering ``lesson``: the lesson's date is in its range and it names no
    particular lessons, or names this one."""
    return (LeaveRequest.objects
            .filter(status=LeaveStatus.APPROVED, start_date__lte=lesson.date,
                    end_date__gte=lesson.date)
            .filter(Q(lessons__isnull=True) | Q(lessons=lesson)))


def approved_leave_for(lesson: Lesson) -> dict[int, LeaveRequest]:
    """The approved leave of each student expected at ``lesson``: {student_id: leave}, in one
    query; of two covering the same child, the later requested."""
    expected = AttendanceRecord.objects.filter(lesson=lesson).values("student_id")
    leaves = (_approved_leave_covering(lesson).filter(student_id__in=expected)
              .order_by("requested_at", "pk"))
    return {leave.student_id: leave for leave in leaves}


def records_with_approved_leave(lesson: Lesson):
    """The lesson's records, each with ``approved_leave_id``: the id of the approved leave
    covering its child (the later requested, as :func:`approved_leave_for`) or None, read in
    the same query (the roll call's write path)."""
    latest = (_approved_leave_covering(lesson).filter(student_id=OuterRef("student_id"))
              .order_by("-requested_at", "-pk").values("pk")[:1])
    return AttendanceRecord.objects.filter(lesson=lesson).annotate(
        approved_leave_id=Subquery(latest))


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
    leaves = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED, start_date__lte=max(dates),
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
    # order_by(): the model's default ordering would join the student, homeroom and grade
    # only to sort rows that are put into a dict.
    forms = {a["student_id"]: a for a in Application.objects.filter(
        term_id=lesson.term_id, student_id__in=[r.student_id for r in records]).order_by()
        .values("student_id", "health_notes", "allergies", "dismissal")}
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


# ---------------------------------------------------------------------------- dismissal (放学交接)
# Who is expected at the end of the day, how each goes home, and who has been released. Each
# reader costs a constant number of queries, whatever the number of children.

# The statuses of a child who is in school at the end of their last lesson. A lesson whose roll
# call was never taken still has its children (nobody has said they left).
IN_SCHOOL = ("present", "late", "")

WAY_PICKED_UP = "picked_up"
WAY_ALONE = "alone"
WAY_BUS = "bus"
WAY_DORMITORY = "dormitory"
WAY_LABELS = {WAY_PICKED_UP: "家长接送", WAY_ALONE: "自行回家", WAY_BUS: "乘坐校车",
              WAY_DORMITORY: "寄宿生（交宿舍）"}
WAY_ORDER = {WAY_PICKED_UP: 0, WAY_ALONE: 1, WAY_BUS: 2, WAY_DORMITORY: 3}


@dataclass(frozen=True)
class AuthorisedPerson:
    """Someone a child may be handed to: a guardian, a person the form named, or the day's
    change. ``key`` names the row ("g12", "p40", "d3") for a form to send back."""

    key: str
    name: str
    relation: str
    phone: str
    source: str  # "guardian" | "form" | "day"

    @property
    def label(self) -> str:
        return f"{self.name}（{self.relation}）" if self.relation else self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


@dataclass
class WayHome:
    """How a child goes home on one day: the form's choice, the boarders' dormitory, or the
    guardian's change for that day (which makes it a pick-up)."""

    way: str
    route: str = ""
    persons: list[AuthorisedPerson] = field(default_factory=list)
    day_persons: list[AuthorisedPerson] = field(default_factory=list)
    unanswered: bool = False  # no form or no answer: picked up, to be safe

    @property
    def label(self) -> str:
        if self.way == WAY_BUS and self.route:
            return f"乘坐校车（{self.route}）"
        return WAY_LABELS[self.way]

    @property
    def group_key(self) -> str:
        return f"{self.way}:{self.route}" if self.way == WAY_BUS else self.way

    def person(self, key: str) -> AuthorisedPerson | None:
        return next((p for p in self.persons if p.key == key), None)


def last_lesson_records(*, day: dt.date, school_id: int | None = None,
                        lesson: Lesson | None = None):
    """The record of each child's last lesson of ``day`` (by end time, then id), for one
    lesson or a whole school: the lesson whose tutor dismisses the child."""
    from django.db.models import Exists, OuterRef

    later = AttendanceRecord.objects.filter(
        student_id=OuterRef("student_id"), lesson__date=day, lesson__is_cancelled=False).filter(
        Q(lesson__end_time__gt=OuterRef("lesson__end_time"))
        | Q(lesson__end_time=OuterRef("lesson__end_time"), lesson_id__gt=OuterRef("lesson_id")))
    qs = AttendanceRecord.objects.filter(lesson__date=day, lesson__is_cancelled=False)
    if lesson is not None:
        qs = qs.filter(lesson=lesson)
    if school_id is not None:
        qs = qs.filter(lesson__term__school_id=school_id)
    return qs.filter(~Exists(later))


def later_lessons_of(lesson: Lesson) -> dict[int, Lesson]:
    """The children of ``lesson`` who have another lesson after it that day: {student: the
    next one}. One query."""
    rows = (AttendanceRecord.objects
            .filter(student__in=lesson.records.values("student_id"), lesson__date=lesson.date,
                    lesson__is_cancelled=False)
            .filter(Q(lesson__end_time__gt=lesson.end_time)
                    | Q(lesson__end_time=lesson.end_time, lesson_id__gt=lesson.pk))
            .select_related("lesson").order_by("lesson__end_time", "lesson_id"))
    found: dict[int, Lesson] = {}
    for row in rows:
        found.setdefault(row.student_id, row.lesson)
    return found


def ways_home(students, *, day: dt.date) -> dict[int, WayHome]:
    """Each child's way home on ``day`` with the people they may be handed to: four queries
    (the forms of the day's term, the people they name, the guardians, the day's changes)."""
    from afterschool.models import StudentGuardian
    from enrollment.models import Application, PickupPerson

    from .models import PickupChange

    students = list(students)
    ids = [s.pk for s in students]
    if not ids:
        return {}
    forms = {a["student_id"]: a for a in Application.objects.filter(
        student_id__in=ids, term__start_date__lte=day, term__end_date__gte=day,
        participates=True).values("pk", "student_id", "dismissal", "bus_route")}
    persons: dict[int, list[AuthorisedPerson]] = {}
    for link in (StudentGuardian.objects.filter(student_id__in=ids)
                 .select_related("guardian").order_by("-is_primary", "pk")):
        persons.setdefault(link.student_id, []).append(AuthorisedPerson(
            key=f"g{link.guardian_id}", name=link.guardian.name,
            relation=link.relation or "监护人", phone=link.guardian.phone, source="guardian"))
    by_form = {a["pk"]: sid for sid, a in forms.items()}
    for person in PickupPerson.objects.filter(application_id__in=list(by_form)).order_by("pk"):
        sid = by_form[person.application_id]
        known = {p.phone for p in persons.get(sid, [])}
        if person.phone not in known:
            persons.setdefault(sid, []).append(AuthorisedPerson(
                key=f"p{person.pk}", name=person.name, relation=person.relation,
                phone=person.phone, source="form"))
    day_persons: dict[int, list[AuthorisedPerson]] = {}
    for change in PickupChange.objects.filter(student_id__in=ids, date=day).order_by("pk"):
        day_persons.setdefault(change.student_id, []).append(AuthorisedPerson(
            key=f"d{change.pk}", name=change.name, relation=change.relation, phone=change.phone,
            source="day"))
    found = {}
    for student in students:
        form = forms.get(student.pk)
        today = day_persons.get(student.pk, [])
        everyone = today + persons.get(student.pk, [])
        if student.is_boarder and not today:
            way = WayHome(WAY_DORMITORY, persons=everyone)
        elif today:
            way = WayHome(WAY_PICKED_UP, persons=everyone, day_persons=today)
        elif form is None or not form["dismissal"]:
            way = WayHome(WAY_PICKED_UP, persons=everyone, unanswered=True)
        else:
            way = WayHome(form["dismissal"], route=form["bus_route"] or "", persons=everyone)
        found[student.pk] = way
    return found


def releases_on(student_ids, day: dt.date) -> dict:
    """{student_id: Dismissal} of ``day``, with who released, in one query."""
    from .models import Dismissal

    return {d.student_id: d for d in Dismissal.objects.filter(
        student_id__in=list(student_ids), date=day).select_related("released_by",
                                                                  "confirmed_by")}


def handovers_on(student_ids, day: dt.date) -> dict:
    """{student_id: DutyHandover} of ``day``, in one query."""
    from .models import DutyHandover

    return {h.student_id: h for h in DutyHandover.objects.filter(
        student_id__in=list(student_ids), date=day).select_related("handed_by")}


def lesson_dismissal(lesson: Lesson) -> dict:
    """The tutor's dismissal page of ``lesson``: the children it dismisses (their last lesson
    of the day), in school or not, each with the way home, release and handover; the groups of
    those still to release; the children who go on to a later lesson."""
    records = list(last_lesson_records(day=lesson.date, lesson=lesson)
                   .select_related("student__homeroom__grade")
                   .order_by("student__homeroom__grade__number", "student__homeroom__number",
                             "student__name", "student_id"))
    students = [r.student for r in records]
    ways = ways_home(students, day=lesson.date)
    releases = releases_on([s.pk for s in students], lesson.date)
    handovers = handovers_on([s.pk for s in students], lesson.date)
    rows, away = [], []
    for record in records:
        row = {"record": record, "student": record.student, "way": ways[record.student_id],
               "release": releases.get(record.student_id),
               "handover": handovers.get(record.student_id)}
        (rows if record.status in IN_SCHOOL else away).append(row)
    groups: dict[str, dict] = {}
    for row in rows:
        way = row["way"]
        group = groups.setdefault(way.group_key, {"key": way.group_key, "way": way.way,
                                                  "route": way.route, "label": way.label,
                                                  "rows": [], "waiting": []})
        group["rows"].append(row)
        if row["release"] is None and row["handover"] is None:
            group["waiting"].append(row)
    ordered = sorted(groups.values(), key=lambda g: (WAY_ORDER[g["way"]], g["route"]))
    return {"rows": rows, "away": away, "groups": ordered,
            "released": sum(1 for r in rows if r["release"] is not None),
            "waiting": sum(1 for r in rows if r["release"] is None),
            "later": later_lessons_of(lesson)}


def campus_dismissal(school_id: int, day: dt.date) -> dict:
    """The duty teacher's page: every child of the school still in school on ``day`` (in
    school at their last lesson and not released), by lesson, with the way home and any
    handover; and the day's counts. A constant number of queries."""
    from django.db.models import Count

    from .models import Dismissal, DismissalDay

    expected = last_lesson_records(day=day, school_id=school_id).filter(status__in=IN_SCHOOL)
    released_ids = Dismissal.objects.filter(date=day, school_id=school_id).values("student_id")
    remaining = list(expected.exclude(student_id__in=released_ids)
                     .select_related("student__homeroom__grade", "lesson__substitute")
                     .prefetch_related("lesson__tutors")
                     .order_by("lesson__end_time", "lesson__title", "student__name", "pk"))
    totals = expected.aggregate(total=Count("pk"))
    n_released = Dismissal.objects.filter(date=day, school_id=school_id).aggregate(
        n=Count("pk"))["n"]
    students = [r.student for r in remaining]
    ways = ways_home(students, day=day)
    handovers = handovers_on([s.pk for s in students], day)
    rows = [{"record": r, "student": r.student, "lesson": r.lesson, "way": ways[r.student_id],
             "handover": handovers.get(r.student_id)} for r in remaining]
    # Children handed over (the list the duty teacher was given) first, then by lesson end.
    rows.sort(key=lambda row: (row["handover"] is None, row["lesson"].end_time))
    closed = DismissalDay.objects.filter(school_id=school_id, date=day).first()
    return {"rows": rows, "expected": totals["total"], "released": n_released,
            "remaining": len(rows), "day": closed,
            "closed_at": closed.closed_at if closed is not None and not rows else None}


def dismissal_day_summary(school_id: int, day: dt.date) -> dict | None:
    """The office's line for the day, or None before any child was released or handed to the
    duty teacher: the released count and, once closed, the time (one query); while open, the
    children still in school and how many of them are with the duty teacher (one more)."""
    from django.db.models import Count, Exists, OuterRef

    from .models import Dismissal, DismissalDay, DutyHandover

    found = DismissalDay.objects.filter(school_id=school_id, date=day).first()
    if found is None:
        return None
    summary = {"released": found.released, "closed_at": found.closed_at, "remaining": 0,
               "with_duty": 0}
    if found.closed_at is not None:
        return summary
    released = Dismissal.objects.filter(date=day, school_id=school_id).values("student_id")
    handed = DutyHandover.objects.filter(date=day, student_id=OuterRef("student_id"))
    summary.update(last_lesson_records(day=day, school_id=school_id)
                   .filter(status__in=IN_SCHOOL).exclude(student_id__in=released)
                   .aggregate(remaining=Count("pk"),
                              with_duty=Count("pk", filter=Q(Exists(handed)))))
    return summary
