"""Who meets when: one answer for a student, a tutor or a homeroom on a date, and a child's week.

A meeting is one of four kinds:

- ``course``: a lesson of a 走班 section the published run placed children in;
- ``homework``: a homework tutoring group (作业辅导组) of the run;
- ``homeroom``: on a day inside a 按班级开展 range, the homeroom itself as the group — its
  作业辅导 with the 班主任 and its own per-homeroom sections — instead of mixed clubs;
- ``fixed``: a per-homeroom section of a course everybody attends (周一阅读写字).

:func:`meetings_on` is the answer for a date; the guardian's week (:func:`weekly_schedule`) and
attendance read the same builders. Nothing meets outside a term or before the term's
arrangement is published; a child meets nothing off their days or after their withdrawal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from afterschool.models import WEEKDAY_LABELS, Homeroom, Period, Staff, Student, Term
from courses.models import Section
from enrollment.models import Application

from ..exchange import attending_weekdays
from ..models import Arrangement, HomeroomModePeriod, HomeworkGroup, Placement
from .runs import active_placements, homework_period, placements_detailed, published_arrangement

# Kinds of meeting.
COURSE = "course"
HOMEWORK = "homework"
HOMEROOM_GROUP = "homeroom"
FIXED = "fixed"

# The service mode of a day.
NORMAL = "normal"
HOMEROOM = "homeroom"


@dataclass
class Meeting:
    weekday: int
    kind: str
    title: str
    period: Period | None = None
    venue: str = ""
    tutors: list = field(default_factory=list)
    section: Section | None = None
    group: HomeworkGroup | None = None
    homeroom: Homeroom | None = None
    date: dt.date | None = None        # None in a weekly view

    @property
    def weekday_label(self) -> str:
        return WEEKDAY_LABELS[self.weekday - 1]

    @property
    def sort_key(self) -> tuple:
        return (self.weekday, self.period.number if self.period else 0, self.title)


# ------------------------------------------------------------------ homeroom mode


def homeroom_mode_period_on(term: Term, date: dt.date) -> HomeroomModePeriod | None:
    return HomeroomModePeriod.objects.filter(term=term, start_date__lte=date,
                                             end_date__gte=date).first()


def service_mode_on(term: Term, date: dt.date) -> str:
    """``"homeroom"`` on a day inside a homeroom-mode range of the term, else ``"normal"``."""
    inside = HomeroomModePeriod.objects.filter(term=term, start_date__lte=date,
                                               end_date__gte=date).exists()
    return HOMEROOM if inside else NORMAL


def homeroom_mode_periods(term: Term) -> QuerySet[HomeroomModePeriod]:
    return term.homeroom_mode_periods.select_related("created_by").order_by("start_date")


def next_homeroom_mode_period(term: Term, after: dt.date) -> HomeroomModePeriod | None:
    return (HomeroomModePeriod.objects.filter(term=term, start_date__gt=after)
            .order_by("start_date").first())


# ------------------------------------------------------------------ builders


def _lessons(placements: QuerySet[Placement], weekday: int | None,
             on: dt.date | None) -> list[Meeting]:
    """The lessons of the sections in which these placements hold a seat on ``on``."""
    sections = (Section.objects
                .filter(pk__in=active_placements(placements, on).values("section_id"))
                .select_related("course").prefetch_related("slots__period", "tutors"))
    return [Meeting(weekday=slot.weekday, kind=COURSE,
                    title=f"{section.course.name}（{section.name}）", period=slot.period,
                    venue=section.venue, tutors=list(section.tutors.all()), section=section)
            for section in sections for slot in section.slots.all()
            if weekday is None or slot.weekday == weekday]


def _homework(run: Arrangement, groups: QuerySet[HomeworkGroup],
              weekday: int | None) -> list[Meeting]:
    if weekday is not None:
        groups = groups.filter(weekday=weekday)
    period = homework_period(run.term)
    return [Meeting(weekday=group.weekday, kind=HOMEWORK, title=f"作业辅导（{group.name}）",
                    period=period, tutors=[group.tutor] if group.tutor else [], group=group)
            for group in groups.select_related("tutor").distinct()]


def _section_meetings(sections: QuerySet[Section], weekday: int, kind: str,
                      title) -> list[Meeting]:
    sections = (sections.filter(course__is_active=True, slots__weekday=weekday).distinct()
                .select_related("course", "homeroom__grade")
                .prefetch_related("slots__period", "tutors"))
    return [Meeting(weekday=weekday, kind=kind, title=title(section), period=slot.period,
                    venue=section.venue, tutors=list(section.tutors.all()), section=section,
                    homeroom=section.homeroom)
            for section in sections for slot in section.slots.all() if slot.weekday == weekday]


def _fixed(term: Term, sections: QuerySet[Section], weekday: int) -> list[Meeting]:
    """Per-homeroom sections of the term's courses that everybody attends."""
    return _section_meetings(sections.filter(course__term=term, course__is_fixed=True,
                                             homeroom__isnull=False), weekday, FIXED,
                             lambda s: f"{s.course.name}（{s.homeroom.name}）")


def _homeroom_mode(term: Term, homeroom: Homeroom, weekday: int) -> list[Meeting]:
    """特色课程+作业辅导 in the homeroom itself, for a day in a homeroom-mode range."""
    head = homeroom.head_teacher
    meetings = [Meeting(weekday=weekday, kind=HOMEROOM_GROUP, title=f"{homeroom.name}：作业辅导",
                        period=homework_period(term), tutors=[head] if head else [],
                        homeroom=homeroom)]
    meetings += _section_meetings(Section.objects.filter(course__term=term, homeroom=homeroom),
                                  weekday, HOMEROOM_GROUP,
                                  lambda s: f"{homeroom.name}：{s.course.name}")
    if len(meetings) == 1:
        meetings[0].title = f"{homeroom.name}：特色课程+作业辅导"
    return meetings


def _meets_today(run: Arrangement, homeroom: Homeroom, weekday: int) -> bool:
    """A homeroom meets on a day some of its arranged children attend: they have a group."""
    return run.homework_groups.filter(weekday=weekday, homerooms=homeroom).exists()


def _attends(application: Application | None, date: dt.date) -> bool:
    """Placed by the published run, or withdrawn from a later day."""
    if application is None:
        return False
    if application.status == Application.Status.PLACED:
        return True
    return (application.status == Application.Status.WITHDRAWN
            and application.withdrawn_on is not None and application.withdrawn_on > date)


# ------------------------------------------------------------------ one date


def meetings_on(date: dt.date, *, student: Student | None = None, tutor: Staff | None = None,
                homeroom: Homeroom | None = None) -> list[Meeting]:
    """What this student, this tutor or this homeroom (exactly one) meets on ``date``."""
    if sum(who is not None for who in (student, tutor, homeroom)) != 1:
        raise TypeError("meetings_on takes exactly one of student, tutor and homeroom")
    school_id = (student or tutor or homeroom).school_id
    term = (Term.objects.filter(school_id=school_id, start_date__lte=date, end_date__gte=date)
            .prefetch_related("periods").first())
    if term is None:
        return []
    run = published_arrangement(term)
    if run is None:
        return []
    run.term = term
    weekday = date.isoweekday()
    homeroom_mode = service_mode_on(term, date) == HOMEROOM
    if student is not None:
        meetings = _student_on(run, student, date, weekday, homeroom_mode)
    elif tutor is not None:
        meetings = _tutor_on(run, tutor, date, weekday, homeroom_mode)
    else:
        meetings = _homeroom_on(run, homeroom, date, weekday, homeroom_mode)
    for meeting in meetings:
        meeting.date = date
    return sorted(meetings, key=lambda m: m.sort_key)


def _student_on(run, student, date, weekday, homeroom_mode) -> list[Meeting]:
    term = run.term
    application = Application.objects.filter(term=term, student=student).first()
    if not _attends(application, date):
        return []
    meetings = (_lessons(run.placements.filter(student=student), weekday, date)
                + _homework(run, run.homework_groups.filter(members__student=student), weekday))
    if homeroom_mode:
        # Mixed clubs pause; a child who would have come meets in their own homeroom.
        return _homeroom_mode(term, student.homeroom, weekday) if meetings else []
    if weekday in attending_weekdays(application, term):
        meetings += _fixed(term, Section.objects.filter(homeroom=student.homeroom_id), weekday)
    return meetings


def _tutor_on(run, tutor, date, weekday, homeroom_mode) -> list[Meeting]:
    term = run.term
    if homeroom_mode:
        # The homerooms they lead, and those whose own sections they teach.
        homerooms = Homeroom.objects.filter(
            Q(head_teacher=tutor) | Q(pk__in=Section.objects.filter(
                course__term=term, tutors=tutor, homeroom__isnull=False).values("homeroom_id")),
            school_id=term.school_id)
        meetings = []
        for homeroom in homerooms.select_related("grade", "head_teacher"):
            if _meets_today(run, homeroom, weekday):
                meetings += [m for m in _homeroom_mode(term, homeroom, weekday)
                             if tutor in m.tutors]
        return meetings
    return (_lessons(run.placements.filter(section__tutors=tutor), weekday, date)
            + _homework(run, run.homework_groups.filter(tutor=tutor), weekday)
            + _fixed(term, Section.objects.filter(tutors=tutor), weekday))


def _homeroom_on(run, homeroom, date, weekday, homeroom_mode) -> list[Meeting]:
    term = run.term
    if homeroom_mode:
        return _homeroom_mode(term, homeroom, weekday) if _meets_today(run, homeroom,
                                                                       weekday) else []
    return (_lessons(run.placements.filter(student__homeroom=homeroom), weekday, date)
            + _homework(run, run.homework_groups.filter(homerooms=homeroom), weekday)
            + _fixed(term, Section.objects.filter(homeroom=homeroom), weekday))


# ------------------------------------------------------------------ a week


def weekly_schedule(arrangement: Arrangement, student: Student,
                    on: dt.date | None = None) -> list[Meeting]:
    """A child's week in a run: their homework group each attending day, and their sections."""
    meetings = (_lessons(arrangement.placements.filter(student=student), None, on)
                + _homework(arrangement,
                            arrangement.homework_groups.filter(members__student=student), None))
    return sorted(meetings, key=lambda m: m.sort_key)


def children_schedules(children, term: Term | None, today: dt.date) -> list[dict]:
    """For the guardian's page: each child's published week, placements and explanation."""
    if term is None:
        return []
    arrangement = published_arrangement(term)
    result = []
    apps = {a.student_id: a for a in Application.objects.filter(term=term, student__in=children)}
    for child in children:
        entry = {"student": child, "application": apps.get(child.pk), "items": [],
                 "placements": [], "explanation": "", "arrangement": arrangement}
        if arrangement is not None and entry["application"] is not None and \
                entry["application"].status in (Application.Status.PLACED,
                                                 Application.Status.WITHDRAWN):
            entry["items"] = weekly_schedule(arrangement, child, on=today)
            entry["placements"] = list(placements_detailed(
                active_placements(arrangement.placements.filter(student=child), today)))
            unplaced = arrangement.unplaced.filter(student=child).first()
            notes = [p.note for p in entry["placements"] if p.note]
            entry["explanation"] = unplaced.reason if unplaced else (notes[0] if notes else "")
        entry["days"] = days_by_weekday(entry["items"])
        result.append(entry)
    return result


def days_by_weekday(items: list[Meeting]) -> list[tuple[str, list[Meeting]]]:
    days: dict[int, list] = defaultdict(list)
    for item in items:
        days[item.weekday].append(item)
    return [(WEEKDAY_LABELS[d - 1], days[d]) for d in sorted(days)]
