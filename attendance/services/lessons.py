"""Generating a term's dated lessons (课次) from the published arrangement and the calendar.

:func:`lessons_regenerate` is the one writer: it computes what should meet on each date (the
arrangement's bulk builder :class:`arrangement.selectors.meetings.TermMeetings`, the calendar's
holidays, 调休 make-up days and suspensions, the boarders' evening reading), compares it with
the lessons already stored, and writes the difference in bulk. A lesson whose roll call was
taken (``roll_call_at`` set or any record marked) is never touched, not even when it no longer
should meet: its records are history. A lesson that should no longer meet is cancelled and its
empty records dropped; it comes back if the date meets again.

Boarders' evening reading (晚自习前阅读, taken by the 班主任): a READING lesson for every
homeroom with active boarders on each service day, at the school's
``AttendancePolicy.reading_start_time``–``reading_end_time``; none while those are empty. The
term's periods are not used for it: a period of kind 阅读写字 is a day-school item of the
timetable, not the boarders' evening.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from afterschool.models import Student, Term
from arrangement.selectors.meetings import COURSE, FIXED, HOMEROOM_GROUP, HOMEWORK, TermMeetings

from ..models import AttendanceRecord, CalendarDay, Lesson, SubstitutionOrder
from ..policy import policy_for

KIND_OF = {COURSE: Lesson.Kind.COURSE, HOMEWORK: Lesson.Kind.HOMEWORK,
           HOMEROOM_GROUP: Lesson.Kind.HOMEROOM, FIXED: Lesson.Kind.FIXED}
BATCH = 2000


@dataclass
class LessonSpec:
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    key: str
    kind: str
    title: str
    venue: str = ""
    period_id: int | None = None
    section_id: int | None = None
    group_id: int | None = None
    homeroom_id: int | None = None
    tutors: set[int] = field(default_factory=set)
    students: set[int] = field(default_factory=set)

    @property
    def ident(self) -> tuple:
        return (self.date, self.start_time, self.key)


@dataclass
class Generated:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    kept: int = 0          # lessons with a roll call, left as they are
    records: int = 0       # records created

    def __str__(self):
        return (f"新建课次 {self.created} 节，更新 {self.updated} 节，取消 {self.cancelled} 节，"
                f"已点名未改动 {self.kept} 节")


def _meeting_key(meeting) -> str:
    if meeting.kind == HOMEWORK:
        return f"homework:{meeting.group.pk}"
    if meeting.section is not None:
        return f"section:{meeting.section.pk}"
    return f"homeroom:{meeting.homeroom.pk}"


class Calendar:
    """The term's calendar, loaded once: which weekday each date runs as, and suspended grades."""

    def __init__(self, term: Term):
        self.term = term
        self.whole: dict[dt.date, CalendarDay] = {}
        self.grades: dict[dt.date, set[int]] = defaultdict(set)
        for day in CalendarDay.objects.filter(term=term):
            if day.grade_id is None:
                self.whole[day.date] = day
            else:
                self.grades[day.date].add(day.grade_id)

    def runs_as(self, date: dt.date) -> int | None:
        """The ISO weekday whose timetable ``date`` runs, or None: no service that day."""
        if not (self.term.start_date <= date <= self.term.end_date):
            return None
        day = self.whole.get(date)
        if day is not None:
            return day.runs_as_weekday if day.kind == CalendarDay.Kind.MAKEUP else None
        weekday = date.isoweekday()
        service = self.term.service_weekdays or []
        return weekday if not service or weekday in service else None


def planned_lessons(term: Term, dates: list[dt.date]) -> dict[tuple, LessonSpec]:
    """What should meet on these dates, keyed by (date, start time, key)."""
    calendar = Calendar(term)
    meetings = TermMeetings(term)
    policy = policy_for(term.school_id)
    grade_of_homeroom = {pk: h.grade_id for pk, h in meetings.homerooms.items()}
    student_homeroom = dict(getattr(meetings, "homeroom_of", {}))
    boarders: dict[int, set[int]] = defaultdict(set)
    reading = policy.reading_start_time and policy.reading_end_time \
        and policy.reading_start_time < policy.reading_end_time
    if reading:
        for pk, homeroom_id in Student.objects.filter(
                school_id=term.school_id, is_boarder=True, is_active=True
        ).values_list("pk", "homeroom_id"):
            boarders[homeroom_id].add(pk)
            student_homeroom[pk] = homeroom_id
    planned: dict[tuple, LessonSpec] = {}
    for date in dates:
        weekday = calendar.runs_as(date)
        if weekday is None:
            continue
        suspended = calendar.grades.get(date, set())

        def expected(students, suspended=suspended):
            return {s for s in students
                    if grade_of_homeroom.get(student_homeroom.get(s)) not in suspended}

        for item in meetings.on(date, weekday=weekday):
            m = item.meeting
            students = expected(item.students)
            if m.period is None or not students:
                continue
            spec = LessonSpec(
                date=date, start_time=m.period.start_time, end_time=m.period.end_time,
                key=_meeting_key(m), kind=KIND_OF[m.kind], title=m.title[:200],
                venue=(m.venue or "")[:100], period_id=m.period.pk,
                section_id=m.section.pk if m.section else None,
                group_id=m.group.pk if m.group else None,
                homeroom_id=m.homeroom.pk if m.homeroom else None,
                tutors={t.pk for t in m.tutors}, students=students)
            planned[spec.ident] = spec
        if reading:
            for homeroom_id, students in boarders.items():
                homeroom = meetings.homerooms.get(homeroom_id)
                students = expected(students)
                if homeroom is None or not students:
                    continue
                spec = LessonSpec(
                    date=date, start_time=policy.reading_start_time,
                    end_time=policy.reading_end_time, key=f"reading:{homeroom_id}",
                    kind=Lesson.Kind.READING, title=f"{homeroom.name}：寄宿生阅读",
                    homeroom_id=homeroom_id,
                    tutors={homeroom.head_teacher_id} if homeroom.head_teacher_id else set(),
                    students=students)
                planned[spec.ident] = spec
    return planned


def term_dates(term: Term, since: dt.date | None = None) -> list[dt.date]:
    start = max(term.start_date, since) if since else term.start_date
    return [start + dt.timedelta(days=i) for i in range((term.end_date - start).days + 1)]


SPEC_FIELDS = ("end_time", "kind", "title", "venue", "period_id", "section_id", "group_id",
               "homeroom_id")


@transaction.atomic
def lessons_regenerate(*, term: Term, dates: list[dt.date] | None = None,
                       since: dt.date | None = None, actor=None) -> Generated:
    """Make the stored lessons of these dates (default: today to the term's end) match the plan.

    ``actor`` is who asked (None for the task and the calendar's automatic run); the check of
    who may ask is the calling service's or view's. Lessons with a roll call are kept as they
    are. Substitution orders are applied again to every lesson without a roll call.
    """
    if dates is None:
        dates = term_dates(term, since or timezone.localdate())
    dates = sorted({d for d in dates if term.start_date <= d <= term.end_date})
    result = Generated()
    if not dates:
        return result
    planned = planned_lessons(term, dates)
    Through = Lesson.tutors.through
    existing = {(les.date, les.start_time, les.key): les for les in
                Lesson.objects.select_for_update().filter(term=term, date__in=dates)}
    lesson_ids = [les.pk for les in existing.values()]
    tutors_of: dict[int, set[int]] = defaultdict(set)
    for lesson_id, staff_id in Through.objects.filter(lesson_id__in=lesson_ids).values_list(
            "lesson_id", "staff_id"):
        tutors_of[lesson_id].add(staff_id)
    records_of: dict[int, dict[int, int]] = defaultdict(dict)
    taken: set[int] = set()
    for pk, lesson_id, student_id, status in AttendanceRecord.objects.filter(
            lesson_id__in=lesson_ids).values_list("pk", "lesson_id", "student_id", "status"):
        records_of[lesson_id][student_id] = pk
        if status:
            taken.add(lesson_id)
    taken |= {les.pk for les in existing.values() if les.roll_call_at is not None}

    now = timezone.now()
    to_update, drop_records, new_records, reset_tutors = [], [], [], []
    for ident, lesson in existing.items():
        spec = planned.pop(ident, None)
        if lesson.pk in taken:
            result.kept += 1
            continue
        if spec is None:
            if not lesson.is_cancelled or records_of[lesson.pk]:
                lesson.is_cancelled = True
                to_update.append(lesson)
                drop_records += records_of[lesson.pk].values()
                result.cancelled += 1
            continue
        changed = lesson.is_cancelled or any(
            getattr(lesson, name) != getattr(spec, name) for name in SPEC_FIELDS)
        for name in SPEC_FIELDS:
            setattr(lesson, name, getattr(spec, name))
        lesson.is_cancelled = False
        have = records_of[lesson.pk]
        drop_records += [pk for student, pk in have.items() if student not in spec.students]
        new_records += [AttendanceRecord(lesson=lesson, student_id=s)
                        for s in sorted(spec.students - set(have))]
        changed |= set(have) != spec.students
        if tutors_of[lesson.pk] != spec.tutors:
            reset_tutors.append((lesson.pk, spec.tutors))
            changed = True
        if changed:
            lesson.generated_at = now
            to_update.append(lesson)
            result.updated += 1
    if to_update:
        Lesson.objects.bulk_update(to_update, [*SPEC_FIELDS, "is_cancelled", "generated_at"],
                                   batch_size=BATCH)
    if drop_records:
        for i in range(0, len(drop_records), BATCH):
            AttendanceRecord.objects.filter(pk__in=drop_records[i:i + BATCH]).delete()
    if reset_tutors:
        Through.objects.filter(lesson_id__in=[pk for pk, _ in reset_tutors]).delete()
        Through.objects.bulk_create([Through(lesson_id=pk, staff_id=s)
                                     for pk, staff in reset_tutors for s in sorted(staff)],
                                    batch_size=BATCH)

    specs = sorted(planned.values(), key=lambda s: (s.date, s.start_time, s.key))
    created = Lesson.objects.bulk_create(
        [Lesson(term=term, date=s.date, start_time=s.start_time, key=s.key,
                generated_at=now, **{name: getattr(s, name) for name in SPEC_FIELDS})
         for s in specs], batch_size=BATCH)
    result.created = len(created)
    Through.objects.bulk_create([Through(lesson_id=les.pk, staff_id=t)
                                 for les, s in zip(created, specs, strict=True)
                                 for t in sorted(s.tutors)], batch_size=BATCH)
    new_records += [AttendanceRecord(lesson=les, student_id=st)
                    for les, s in zip(created, specs, strict=True) for st in sorted(s.students)]
    AttendanceRecord.objects.bulk_create(new_records, batch_size=BATCH)
    result.records = len(new_records)
    substitutes_apply(term=term, dates=dates)
    return result


def substitutes_apply(*, term: Term, dates: list[dt.date]) -> int:
    """Set each untaken lesson's substitute from the term's orders; how many changed.

    An order for one lesson wins over a range order; among range orders the latest wins.
    """
    if not dates:
        return 0
    orders = list(SubstitutionOrder.objects.filter(
        term=term, start_date__lte=max(dates), end_date__gte=min(dates)).order_by("created_at",
                                                                                  "pk"))
    lessons = list(Lesson.objects.filter(term=term, date__in=dates, roll_call_at__isnull=True)
                   .exclude(records__status__gt="").distinct().prefetch_related("tutors"))
    changed = []
    for lesson in lessons:
        wanted = None
        tutors = {t.pk for t in lesson.tutors.all()}
        for order in orders:
            if order.lesson_id is None and order.start_date <= lesson.date <= order.end_date \
                    and order.tutor_id in tutors:
                wanted = order.substitute_id
        for order in orders:
            if order.lesson_id == lesson.pk:
                wanted = order.substitute_id
        if lesson.substitute_id != wanted:
            lesson.substitute_id = wanted
            changed.append(lesson)
    Lesson.objects.bulk_update(changed, ["substitute"], batch_size=BATCH)
    return len(changed)
