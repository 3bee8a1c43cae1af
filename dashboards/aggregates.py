"""Building the aggregate tables from the records (the writes of the dashboards).

:func:`days_rebuild` counts the days of a date range for some schools (or all) and
:func:`months_rebuild` a month; :func:`refresh_day` is both for one school's day (after a roll
call or a correction commits), :func:`rebuild` any range for the beat and the shell. Every
figure is counted in the database with grouped queries — records per (school, date) and per
(school, homeroom, date), lessons, alerts — so the cost follows the number of schools and
days, and a whole district's month is a handful of scans, not a query per school per day.

Rows are upserted on their natural keys (``bulk_create(update_conflicts=True)``) and rows of
the range that no longer have anything behind them are deleted, in one transaction: a reader
sees the old figures or the new ones, and two rebuilds of the same day at once (the signal's
task and the beat) cannot collide on the unique constraints.

What the counts mean is what the records say: ``expected`` is every record of a lesson that
has started (a lesson later today is not counted yet) and was not cancelled (a lesson's
records are made for exactly the children expected at it), statuses are the corrected values,
``missing`` a record never marked; a lesson is *taken* when its roll call was stamped or any
record marked, *on time* when stamped within the school's grace minutes
(``AttendancePolicy.roll_call_grace_minutes``) — the same rules as the 公示.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from afterschool.models import Homeroom, School, Staff, Student, Term
from arrangement.models import Arrangement, Placement
from attendance.models import AbsenceAlert, AttendancePolicy, AttendanceRecord, Lesson
from courses.models import Course, Section
from enrollment.models import Application
from evaluation.models import Statement
from evaluation.policy import workload_policy_for
from evaluation.selectors.ledger import staff_counts
from safety.models import FollowUp
from safety.selectors import patrol_summary
from surveys.selectors import school_satisfaction

from .models import (
    DailyHomeroomStat,
    DailySchoolStat,
    MonthlyCourseStat,
    MonthlyHomeroomStat,
    MonthlySchoolStat,
    MonthlyStaffStat,
)
from .months import last_day, months_between

STATUSES = ("present", "late", "leave", "absent")
ATTENDANCE = ("expected", *STATUSES, "missing")
LESSONS = ("lessons", "lessons_taken", "lessons_on_time", "alerts", "alerts_handled",
           "alert_minutes", "alerts_handled_30")
PARTICIPATION = ("students", "applied", "declined", "approved", "placed")
AppStatus = Application.Status
ANSWERED_NOT_WITHDRAWN = (AppStatus.SUBMITTED, AppStatus.RETURNED, AppStatus.CLASS_APPROVED,
                          AppStatus.CLASS_REJECTED, AppStatus.SCHOOL_APPROVED,
                          AppStatus.SCHOOL_REJECTED, AppStatus.PLACED)
APPROVED = (AppStatus.SCHOOL_APPROVED, AppStatus.PLACED)
BATCH = 5000


def _status_counts(prefix: str = "") -> dict:
    return {"expected": Count("pk"),
            **{s: Count("pk", filter=Q(**{f"{prefix}status": s})) for s in STATUSES},
            "missing": Count("pk", filter=Q(**{f"{prefix}status": ""}))}


def _not_ahead(prefix: str = "") -> Q:
    """Lessons that have started: a lesson later today is not yet expected, nor missing."""
    now = timezone.localtime()
    return (Q(**{f"{prefix}date__lt": now.date()})
            | Q(**{f"{prefix}date": now.date(), f"{prefix}start_time__lte": now.time()}))


def _records(school_ids, first: dt.date, last: dt.date):
    qs = AttendanceRecord.objects.filter(_not_ahead("lesson__"),
                                         lesson__date__range=(first, last),
                                         lesson__is_cancelled=False)
    if school_ids is not None:
        qs = qs.filter(lesson__term__school_id__in=school_ids)
    return qs


def _scoped(qs, field: str, school_ids):
    return qs if school_ids is None else qs.filter(**{f"{field}__in": school_ids})


def _upsert(model, rows: list, keys: list[str], fields: list[str]) -> None:
    if rows:
        model.objects.bulk_create(rows, batch_size=BATCH, update_conflicts=True,
                                  unique_fields=keys, update_fields=fields)


def _drop_stale(qs, keys: list[str], kept: set) -> None:
    """Delete the rows of ``qs`` whose key is not among those just written."""
    stale = [pk for pk, *key in qs.values_list("pk", *keys) if tuple(key) not in kept]
    for i in range(0, len(stale), BATCH):
        qs.model.objects.filter(pk__in=stale[i:i + BATCH]).delete()


# ---------------------------------------------------------------------------- days


def _lesson_counts(school_ids, first: dt.date, last: dt.date) -> dict:
    """(school, date) → lessons, taken, on time."""
    grace = dict(_scoped(AttendancePolicy.objects.all(), "school_id", school_ids)
                 .values_list("school_id", "roll_call_grace_minutes"))
    default_grace = AttendancePolicy._meta.get_field("roll_call_grace_minutes").default
    marked = AttendanceRecord.objects.filter(lesson_id=OuterRef("pk"), status__gt="")
    lessons = (_scoped(Lesson.objects.filter(_not_ahead(), date__range=(first, last),
                                             is_cancelled=False),
                       "term__school_id", school_ids)
               .annotate(marked=Exists(marked))
               .values_list("term__school_id", "date", "start_time", "roll_call_at", "marked"))
    found = defaultdict(lambda: dict.fromkeys(LESSONS, 0))
    for school_id, date, start, roll_call_at, is_marked in lessons.iterator(chunk_size=BATCH):
        row = found[school_id, date]
        row["lessons"] += 1
        if roll_call_at is not None or is_marked:
            row["lessons_taken"] += 1
        if roll_call_at is not None:
            due = timezone.make_aware(dt.datetime.combine(date, start)) + dt.timedelta(
                minutes=grace.get(school_id, default_grace))
            if roll_call_at <= due:
                row["lessons_on_time"] += 1
    alerts = (_scoped(AbsenceAlert.objects.filter(_not_ahead("lesson__"),
                                                  lesson__date__range=(first, last),
                                                  lesson__is_cancelled=False),
                      "lesson__term__school_id", school_ids)
              .values_list("lesson__term__school_id", "lesson__date", "raised_at",
                           "handled_at", "status"))
    for school_id, date, raised_at, handled_at, status in alerts.iterator(chunk_size=BATCH):
        row = found[school_id, date]
        row["alerts"] += 1
        if status == AbsenceAlert.Status.HANDLED and handled_at is not None:
            minutes = max(0, round((handled_at - raised_at).total_seconds() / 60))
            row["alerts_handled"] += 1
            row["alert_minutes"] += minutes
            row["alerts_handled_30"] += minutes <= 30
    return found


@transaction.atomic
def days_rebuild(*, first: dt.date, last: dt.date, school_ids=None) -> int:
    """The daily rows of the dates for ``school_ids`` (None: every school); returns rows."""
    now = timezone.now()
    schools = defaultdict(lambda: dict.fromkeys(ATTENDANCE, 0))
    for row in (_records(school_ids, first, last)
                .values("lesson__term__school_id", "lesson__date").order_by()
                .annotate(**_status_counts())):
        schools[row["lesson__term__school_id"], row["lesson__date"]].update(
            {k: row[k] for k in ATTENDANCE})
    lessons = _lesson_counts(school_ids, first, last)
    keys = set(schools) | set(lessons)
    day_rows = [DailySchoolStat(school_id=s, date=d, built_at=now, **schools.get((s, d), {}),
                                **lessons.get((s, d), {})) for s, d in keys]
    _upsert(DailySchoolStat, day_rows, ["school", "date"],
            [*ATTENDANCE, *LESSONS, "built_at"])
    _drop_stale(_scoped(DailySchoolStat.objects.filter(date__range=(first, last)), "school_id",
                        school_ids), ["school_id", "date"], keys)

    homeroom_rows, homeroom_keys = [], set()
    for row in (_records(school_ids, first, last)
                .values("lesson__term__school_id", "student__homeroom_id", "lesson__date")
                .order_by().annotate(**_status_counts())):
        key = (row["student__homeroom_id"], row["lesson__date"])
        homeroom_keys.add(key)
        homeroom_rows.append(DailyHomeroomStat(
            school_id=row["lesson__term__school_id"], homeroom_id=key[0], date=key[1],
            **{k: row[k] for k in ATTENDANCE}))
    _upsert(DailyHomeroomStat, homeroom_rows, ["homeroom", "date"], [*ATTENDANCE])
    _drop_stale(_scoped(DailyHomeroomStat.objects.filter(date__range=(first, last)),
                        "school_id", school_ids), ["homeroom_id", "date"], homeroom_keys)
    return len(day_rows) + len(homeroom_rows)


# ---------------------------------------------------------------------------- months


def terms_for(month: dt.date, school_ids=None) -> dict[int, Term]:
    """Each school's term covering the month: the current one if it does, else the latest."""
    last = last_day(month)
    found = {}
    for term in (_scoped(Term.objects.filter(start_date__lte=last, end_date__gte=month),
                         "school_id", school_ids)
                 .order_by("school_id", "-is_current", "-start_date")):
        found.setdefault(term.school_id, term)
    return found


def _participation(terms: dict[int, Term], school_ids) -> dict[int, dict]:
    """homeroom → students, applied, declined, approved, placed (the term's forms)."""
    found = defaultdict(lambda: dict.fromkeys(PARTICIPATION, 0))
    students = _scoped(Student.objects.filter(is_active=True), "school_id", school_ids)
    for homeroom_id, n in students.values_list("homeroom_id").annotate(n=Count("pk")).order_by():
        found[homeroom_id]["students"] = n
    forms = (Application.objects.filter(term__in=list(terms.values()), student__is_active=True,
                                        status__in=ANSWERED_NOT_WITHDRAWN)
             .values_list("student__homeroom_id", "status", "participates")
             .annotate(n=Count("pk")).order_by())
    for homeroom_id, status, participates, n in forms:
        row = found[homeroom_id]
        if participates:
            row["applied"] += n
            row["approved"] += n if status in APPROVED else 0
            row["placed"] += n if status == AppStatus.PLACED else 0
        elif participates is False:
            row["declined"] += n
    return found


def _courses(terms: dict[int, Term], month: dt.date, school_ids) -> list[MonthlyCourseStat]:
    last = last_day(month)
    term_ids = [t.pk for t in terms.values()]
    rows = {c.pk: MonthlyCourseStat(school_id=c.school_id, course_id=c.pk, month=month)
            for c in Course.objects.filter(term_id__in=term_ids, is_fixed=False)}
    for course_id, n, seats in (Section.objects.filter(course_id__in=list(rows))
                                .values_list("course_id").annotate(n=Count("pk"),
                                                                   seats=Sum("capacity"))
                                .order_by()):
        rows[course_id].sections, rows[course_id].capacity = n, seats or 0
    published = Arrangement.objects.filter(term_id__in=term_ids,
                                           status=Arrangement.Status.PUBLISHED)
    placed = (Placement.objects.filter(arrangement__in=published, course_id__in=list(rows))
              .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=last))
              .values_list("course_id").annotate(n=Count("pk")).order_by())
    for course_id, n in placed:
        rows[course_id].placed_students = n
    course_of = dict(Section.objects.filter(course_id__in=list(rows))
                     .values_list("pk", "course_id"))
    for row in (_records(school_ids, month, last).filter(lesson__section_id__in=list(course_of))
                .values("lesson__section_id").order_by().annotate(**_status_counts())):
        stat = rows[course_of[row["lesson__section_id"]]]
        for k in ATTENDANCE:
            setattr(stat, k, getattr(stat, k) + row[k])
    return list(rows.values())


def _open_follow_ups(school_id: int, last: dt.date) -> int:
    """Findings on or before the month's last day still open at its end (a past month's
    figure does not change when they close later)."""
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    return (FollowUp.objects.filter(school_id=school_id, patrol__date__lte=last)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end)).count())


@transaction.atomic
def months_rebuild(*, month: dt.date, school_ids=None) -> int:
    """The monthly rows of ``month`` for ``school_ids`` (None: every school), from the daily
    rows (rebuild those first) and the month's other sources."""
    now = timezone.now()
    month = month.replace(day=1)
    last = last_day(month)
    schools = list(_scoped(School.objects.all(), "pk", school_ids).order_by("pk"))
    ids = [s.pk for s in schools]
    terms = terms_for(month, ids)

    days = {row["school_id"]: row for row in (
        DailySchoolStat.objects.filter(school_id__in=ids, date__range=(month, last))
        .values("school_id").order_by()
        .annotate(**{k: Sum(k) for k in (*ATTENDANCE, *LESSONS)}))}
    homeroom_days = {row["homeroom_id"]: row for row in (
        DailyHomeroomStat.objects.filter(school_id__in=ids, date__range=(month, last))
        .values("homeroom_id").order_by().annotate(**{k: Sum(k) for k in ATTENDANCE}))}
    participation = _participation(terms, ids)

    homeroom_rows, homeroom_keys = [], set()
    by_school = defaultdict(lambda: dict.fromkeys(PARTICIPATION, 0))
    for homeroom_id, school_id in Homeroom.objects.filter(school_id__in=ids).values_list(
            "pk", "school_id"):
        part = participation.get(homeroom_id, dict.fromkeys(PARTICIPATION, 0))
        att = homeroom_days.get(homeroom_id, {})
        if not part["students"] and not att:
            continue
        for k in PARTICIPATION:
            by_school[school_id][k] += part[k]
        homeroom_keys.add((homeroom_id, month))
        homeroom_rows.append(MonthlyHomeroomStat(
            school_id=school_id, homeroom_id=homeroom_id, month=month, **part,
            **{k: att.get(k) or 0 for k in ATTENDANCE}))
    _upsert(MonthlyHomeroomStat, homeroom_rows, ["homeroom", "month"],
            [*PARTICIPATION, *ATTENDANCE])
    _drop_stale(MonthlyHomeroomStat.objects.filter(school_id__in=ids, month=month),
                ["homeroom_id", "month"], homeroom_keys)

    subsidy = dict(Statement.objects.filter(school_id__in=ids, month=month,
                                            status=Statement.Status.FINAL)
                   .values_list("school_id").annotate(total=Sum("subsidy")).order_by())
    staff_total = dict(Staff.objects.filter(school_id__in=ids, is_active=True)
                       .values_list("school_id").annotate(n=Count("pk")).order_by())
    staff_rows, staff_keys, school_rows = [], set(), []
    for school in schools:
        counts = staff_counts(school, month, last, workload_policy_for(school))
        taking_part = 0
        equivalents = Decimal("0")
        for staff_id, c in counts.items():
            staff_keys.add((staff_id, month))
            staff_rows.append(MonthlyStaffStat(
                school=school, staff_id=staff_id, month=month, scheduled=c.scheduled,
                delivered=c.delivered, on_time=c.on_time, substitutions=c.substitutions,
                period_equivalents=c.equivalents))
            taking_part += bool(c.delivered or c.duties or c.patrols)
            equivalents += c.equivalents
        term = terms.get(school.pk)
        satisfaction = school_satisfaction(school.pk, term.pk) if term else None
        patrols = patrol_summary(school, month, last)
        day = days.get(school.pk, {})
        school_rows.append(MonthlySchoolStat(
            school=school, month=month, term=term, built_at=now,
            **by_school[school.pk], **{k: day.get(k) or 0 for k in (*ATTENDANCE, *LESSONS)},
            staff_total=staff_total.get(school.pk, 0), staff_taking_part=taking_part,
            period_equivalents=equivalents, subsidy=subsidy.get(school.pk),
            patrols=patrols["patrols"], findings=patrols["findings"],
            open_follow_ups=_open_follow_ups(school.pk, last),
            survey_responses=satisfaction.responses if satisfaction else None,
            survey_answered=satisfaction.answered if satisfaction else None,
            survey_satisfied=satisfaction.satisfied if satisfaction else None))
    _upsert(MonthlyStaffStat, staff_rows, ["staff", "month"],
            ["scheduled", "delivered", "on_time", "substitutions", "period_equivalents"])
    _drop_stale(MonthlyStaffStat.objects.filter(school_id__in=ids, month=month),
                ["staff_id", "month"], staff_keys)
    _upsert(MonthlySchoolStat, school_rows, ["school", "month"],
            [f.attname for f in MonthlySchoolStat._meta.concrete_fields
             if f.attname not in ("id", "school_id", "month")])
    course_rows = _courses(terms, month, ids)
    _upsert(MonthlyCourseStat, course_rows, ["course", "month"],
            ["sections", "capacity", "placed_students", *ATTENDANCE])
    _drop_stale(MonthlyCourseStat.objects.filter(school_id__in=ids, month=month),
                ["course_id", "month"], {(r.course_id, month) for r in course_rows})
    return len(school_rows) + len(homeroom_rows) + len(staff_rows) + len(course_rows)


# ---------------------------------------------------------------------------- entry points


def refresh_day(*, school_id: int, date: dt.date) -> None:
    """One school's day and its month, after a roll call, a correction or an alert changed."""
    days_rebuild(first=date, last=date, school_ids=[school_id])
    months_rebuild(month=date.replace(day=1), school_ids=[school_id])


def rebuild(*, first: dt.date, last: dt.date, school_ids=None) -> int:
    """Every day and month from ``first`` to ``last`` (the beat's nightly job, the shell's
    ``rebuild_dashboards``), a month per transaction."""
    written = 0
    for month in months_between(first, last):
        start, end = max(month, first), min(last_day(month), last)
        written += days_rebuild(first=start, last=end, school_ids=school_ids)
        written += months_rebuild(month=month, school_ids=school_ids)
    return written
