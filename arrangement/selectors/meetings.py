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

from django.db.models import F, Q, QuerySet

from afterschool import formatting
from afterschool.models import Homeroom, Period, Staff, Student, Term
from courses.models import Section
from enrollment.models import Application

from ..exchange import attending_weekdays
from ..models import (
    Arrangement,
    HomeroomModePeriod,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
)
from .runs import active_placements, homework_period, published_arrangement

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
        return formatting.weekday_label(self.weekday)

    @property
    def sort_key(self) -> tuple:
        return (self.weekday, self.period.number if self.period else 0, self.title)


# ------------------------------------------------------------------ homeroom mode


def homeroom_mode_now_or_next(term: Term, today: dt.date
                              ) -> tuple[HomeroomModePeriod | None, HomeroomModePeriod | None]:
    """The homeroom-mode range ``today`` is in, else the next one: ``(current, None)`` or
    ``(None, next)`` (ranges of a term never overlap)."""
    # A range cancelled before it began ends before it starts: it never comes.
    first = (HomeroomModePeriod.objects.filter(term=term, end_date__gte=today,
                                               start_date__lte=F("end_date"))
             .order_by("start_date").first())
    if first is None:
        return None, None
    return (first, None) if first.start_date <= today else (None, first)


def service_mode_on(term: Term, date: dt.date) -> str:
    """``"homeroom"`` on a day inside a homeroom-mode range of the term, else ``"normal"``."""
    inside = HomeroomModePeriod.objects.filter(term=term, start_date__lte=date,
                                               end_date__gte=date).exists()
    return HOMEROOM if inside else NORMAL


def homeroom_mode_periods(term: Term) -> QuerySet[HomeroomModePeriod]:
    return (term.homeroom_mode_periods.select_related("created_by", "ended_by")
            .order_by("start_date"))


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
                    period=period, venue=group.room,
                    tutors=[group.tutor] if group.tutor else [], group=group)
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


@dataclass
class ScheduleDay:
    """One service day of a child's week, as the guardian's page shows it."""

    date: dt.date
    meetings: list[Meeting]
    going_home: str = ""

    @property
    def label(self) -> str:
        return (f"{formatting.weekday_label(self.date.isoweekday())} "
                f"{formatting.short_date_text(self.date)}")

    @property
    def end_time(self) -> dt.time | None:
        ends = [m.period.end_time for m in self.meetings if m.period]
        return max(ends) if ends else None


def schedule_week(term: Term, today: dt.date) -> list[dt.date]:
    """The service days of the week a family looks at: this week (next week from Saturday
    on, the first week before the term starts), inside the term."""
    start = max(today, term.start_date)
    monday = start - dt.timedelta(days=start.weekday())
    if start.isoweekday() >= 6:
        monday += dt.timedelta(days=7)
    days = set(term.service_weekdays or range(1, 6))
    return [d for d in (monday + dt.timedelta(days=i) for i in range(7))
            if d.isoweekday() in days and term.start_date <= d <= term.end_date]


def going_home(application: Application, student: Student, day: ScheduleDay) -> str:
    """When the day ends and how the child leaves, in the family's own words of the form."""
    end = day.end_time
    if end is None:
        return ""
    at = f"{end:%H:%M}"
    last = max((m for m in day.meetings if m.period), key=lambda m: m.period.end_time)
    place = last.venue
    if student.is_boarder:
        return f"{at} 结束，回宿舍（住校）"
    Dismissal = Application.Dismissal
    if application.dismissal == Dismissal.ALONE:
        return f"{at} 放学，孩子自行回家"
    if application.dismissal == Dismissal.BUS:
        return f"{at} 放学，乘坐校车（{application.bus_route}）"
    if application.dismissal == Dismissal.PICKED_UP:
        return f"{at} 放学，请到{place}接孩子" if place else f"{at} 放学，请按时接孩子"
    return f"{at} 放学"


def children_schedules(children, term: Term | None, today: dt.date) -> list[dict]:
    """For the guardian's page: each child's published week, day by day, with everything the
    child meets (作业辅导 with its room and tutor, fixed items such as 阅读写字, clubs), when
    the day ends and how the child goes home; and the explanation of the placement.

    Each day is :meth:`TermMeetings.for_student`, the same answer as :func:`meetings_on`, so
    withdrawal, homeroom mode and the fixed items read exactly as attendance will; it is
    loaded once for all the children, so the page's queries do not grow with them."""
    if term is None:
        return []
    arrangement = published_arrangement(term)
    dates = schedule_week(term, today)
    children = list(children)
    ids = [child.pk for child in children]
    applications = list(Application.objects.filter(term=term, student__in=ids))
    apps = {a.student_id: a for a in applications}
    week = notes = unplaced = None
    if arrangement is not None and ids:
        week = TermMeetings(term, students=children, applications=applications,
                            run=arrangement)
        notes = defaultdict(list)
        for student_id, note in (active_placements(arrangement.placements.filter(
                student__in=ids), today).exclude(note="").order_by("pk")
                                 .values_list("student_id", "note")):
            notes[student_id].append(note)
        unplaced = dict(arrangement.unplaced.filter(student__in=ids)
                        .values_list("student_id", "reason"))
    result = []
    for child in children:
        application = apps.get(child.pk)
        entry = {"student": child, "application": application, "days": [],
                 "explanation": "", "arrangement": arrangement, "withdrawn": None}
        if week is not None and application is not None and \
                application.status in (Application.Status.PLACED, Application.Status.WITHDRAWN):
            if application.status == Application.Status.WITHDRAWN:
                entry["withdrawn"] = application.withdrawn_on
            for date in dates:
                meetings = week.for_student(child.pk, date)
                if meetings:
                    day = ScheduleDay(date=date, meetings=meetings)
                    day.going_home = going_home(application, child, day)
                    entry["days"].append(day)
            entry["explanation"] = (unplaced.get(child.pk)
                                    or next(iter(notes[child.pk]), ""))
        result.append(entry)
    return result


def days_by_weekday(items: list[Meeting]) -> list[tuple[str, list[Meeting]]]:
    days: dict[int, list] = defaultdict(list)
    for item in items:
        days[item.weekday].append(item)
    return [(formatting.weekday_label(d), days[d]) for d in sorted(days)]


# ------------------------------------------------------------------ a whole term, in bulk


@dataclass
class ExpectedMeeting:
    """A meeting on a date with the ids of the students expected at it."""

    meeting: Meeting
    students: list[int]


class TermMeetings:
    """Who meets what on any date of a term, for every student at once.

    The same rules as :func:`meetings_on`, but everything is loaded once (a fixed number of
    queries, whatever the size of the school), so attendance can generate a whole term's
    lessons without a query per student or per date. ``on(date, weekday=...)`` answers one
    date; ``weekday`` lets a 调休 make-up day run the timetable of another weekday.
    :meth:`for_student` answers for one student, as :func:`meetings_on` does.

    ``students`` loads only what those students meet, for a page about a few children (their
    sections, their homerooms' sections, their homework groups); ``on`` then answers for them
    only. A caller that has the published ``run`` or the students' ``applications`` of the
    term already passes them instead of their look-ups.
    """

    def __init__(self, term: Term, *, students: list[Student] | None = None,
                 applications: list[Application] | None = None,
                 run: Arrangement | None = None):
        self.term = term
        self.run = run or published_arrangement(term)
        self.periods = list(term.periods.all())
        self.period_by_id = {p.pk: p for p in self.periods}
        self.homework_period = homework_period(term)
        self.mode_ranges = list(HomeroomModePeriod.objects.filter(term=term)
                                .values_list("start_date", "end_date"))
        ids = [s.pk for s in students] if students is not None else None
        homerooms = Homeroom.objects.filter(school_id=term.school_id)
        if students is not None:
            homerooms = homerooms.filter(pk__in={s.homeroom_id for s in students})
        self.homerooms = {h.pk: h for h in homerooms.select_related("grade", "head_teacher")}
        if self.run is None:
            return
        self.run.term = term
        mine = Q(student_id__in=ids) if students is not None else Q()
        taking_part = (Application.Status.PLACED, Application.Status.WITHDRAWN)
        if applications is None:
            applications = (Application.objects.filter(mine, term=term, status__in=taking_part)
                            .only("student_id", "status", "withdrawn_on", "weekdays"))
        # student id -> (status, withdrawn_on, attending weekdays)
        self.applications = {
            a.student_id: (a.status, a.withdrawn_on, set(attending_weekdays(a, term)))
            for a in applications if a.status in taking_part}
        if students is not None:
            self.homeroom_of = {s.pk: s.homeroom_id for s in students
                                if s.pk in self.applications}
        else:
            self.homeroom_of = dict(Student.objects.filter(pk__in=list(self.applications))
                                    .values_list("pk", "homeroom_id"))
        self.students_of_homeroom: dict[int, list[int]] = defaultdict(list)
        for student_id, homeroom_id in sorted(self.homeroom_of.items()):
            self.students_of_homeroom[homeroom_id].append(student_id)
        # section id -> [(student id, ended_on)], and student id -> [(section id, ended_on)]
        self.placements: dict[int, list[tuple[int, dt.date | None]]] = defaultdict(list)
        self.seats_of: dict[int, list[tuple[int, dt.date | None]]] = defaultdict(list)
        for student_id, section_id, ended_on in (self.run.placements.filter(mine)
                                                 .order_by("student_id", "pk")
                                                 .values_list("student_id", "section_id",
                                                              "ended_on")):
            self.placements[section_id].append((student_id, ended_on))
            self.seats_of[student_id].append((section_id, ended_on))
        sections = Section.objects.filter(course__term=term)
        if students is not None:
            sections = sections.filter(Q(pk__in=list(self.placements))
                                       | Q(homeroom_id__in=list(self.homerooms)))
        # A slot's period is one of the term's, loaded above (see _period).
        self.sections = {s.pk: s for s in sections.select_related("course", "homeroom__grade")
                         .prefetch_related("slots", "tutors")}
        groups = self.run.homework_groups.select_related("tutor")
        if students is not None:
            # The homerooms of each group serve only on() in homeroom mode, for the school.
            groups = groups.filter(members__student_id__in=ids).distinct()
        else:
            groups = groups.prefetch_related("homerooms")
        self.groups = list(groups)
        self.members: dict[int, list[int]] = defaultdict(list)
        self.groups_of: dict[int, list[HomeworkGroup]] = defaultdict(list)
        group_by_id = {g.pk: g for g in self.groups}
        for group_id, student_id in (HomeworkGroupMember.objects
                                     .filter(mine, group__arrangement=self.run)
                                     .order_by("student_id")
                                     .values_list("group_id", "student_id")):
            self.members[group_id].append(student_id)
            self.groups_of[student_id].append(group_by_id[group_id])

    def is_homeroom_mode(self, date: dt.date) -> bool:
        return any(start <= date <= end for start, end in self.mode_ranges)

    def _attends(self, student_id: int, date: dt.date) -> bool:
        entry = self.applications.get(student_id)
        if entry is None:
            return False
        status, withdrawn_on, _ = entry
        return status == Application.Status.PLACED or (
            withdrawn_on is not None and withdrawn_on > date)

    def _section_students(self, section_id: int, date: dt.date) -> list[int]:
        return [s for s, ended_on in self.placements.get(section_id, ())
                if (ended_on is None or ended_on > date) and self._attends(s, date)]

    def _slots(self, section: Section, weekday: int):
        return [slot for slot in section.slots.all() if slot.weekday == weekday]

    def _period(self, slot) -> Period:
        return self.period_by_id.get(slot.period_id) or slot.period

    def _lesson(self, section: Section, slot, weekday: int) -> Meeting:
        return Meeting(weekday=weekday, kind=COURSE, title=f"{section.course.name}（{section.name}）",
                       period=self._period(slot), venue=section.venue,
                       tutors=list(section.tutors.all()), section=section)

    def _homework(self, group: HomeworkGroup, weekday: int) -> Meeting:
        return Meeting(weekday=weekday, kind=HOMEWORK, title=f"作业辅导（{group.name}）",
                       period=self.homework_period, venue=group.room,
                       tutors=[group.tutor] if group.tutor else [], group=group)

    def _fixed(self, homeroom_id: int, weekday: int) -> list[Meeting]:
        """The homeroom's sections of courses everybody attends, on ``weekday``."""
        return [Meeting(weekday=weekday, kind=FIXED,
                        title=f"{section.course.name}（{section.homeroom.name}）",
                        period=self._period(slot), venue=section.venue,
                        tutors=list(section.tutors.all()), section=section,
                        homeroom=section.homeroom)
                for section in self.sections.values()
                if section.homeroom_id == homeroom_id and section.course.is_fixed
                and section.course.is_active
                for slot in self._slots(section, weekday)]

    def _homeroom_meetings(self, homeroom: Homeroom, weekday: int) -> list[Meeting]:
        """特色课程+作业辅导 in the homeroom itself, for a day in a homeroom-mode range."""
        head = homeroom.head_teacher
        meetings = [Meeting(weekday=weekday, kind=HOMEROOM_GROUP,
                            title=f"{homeroom.name}：作业辅导", period=self.homework_period,
                            tutors=[head] if head else [], homeroom=homeroom)]
        for section in self.sections.values():
            if section.homeroom_id != homeroom.pk or not section.course.is_active:
                continue
            meetings += [Meeting(weekday=weekday, kind=HOMEROOM_GROUP,
                                 title=f"{homeroom.name}：{section.course.name}",
                                 period=self._period(slot), venue=section.venue,
                                 tutors=list(section.tutors.all()), section=section,
                                 homeroom=homeroom)
                         for slot in self._slots(section, weekday)]
        if len(meetings) == 1:
            meetings[0].title = f"{homeroom.name}：特色课程+作业辅导"
        return meetings

    def for_student(self, student_id: int, date: dt.date) -> list[Meeting]:
        """What one student meets on ``date``: the answer of :func:`meetings_on` for them."""
        if self.run is None or not (self.term.start_date <= date <= self.term.end_date):
            return []
        if not self._attends(student_id, date):
            return []
        weekday = date.isoweekday()
        meetings = [self._lesson(section, slot, weekday)
                    for section_id, ended_on in self.seats_of.get(student_id, ())
                    if ended_on is None or ended_on > date
                    if (section := self.sections.get(section_id)) is not None
                    for slot in self._slots(section, weekday)]
        meetings += [self._homework(group, weekday)
                     for group in self.groups_of.get(student_id, ()) if group.weekday == weekday]
        homeroom = self.homerooms.get(self.homeroom_of.get(student_id))
        if self.is_homeroom_mode(date):
            # Mixed clubs pause; a child who would have come meets in their own homeroom.
            meetings = self._homeroom_meetings(homeroom, weekday) if meetings and homeroom else []
        elif homeroom is not None and weekday in self.applications[student_id][2]:
            meetings += self._fixed(homeroom.pk, weekday)
        for meeting in meetings:
            meeting.date = date
        return sorted(meetings, key=lambda m: m.sort_key)

    def on(self, date: dt.date, *, weekday: int | None = None) -> list[ExpectedMeeting]:
        """Every meeting of the school on ``date`` with its expected students (none empty)."""
        if self.run is None or not (self.term.start_date <= date <= self.term.end_date):
            return []
        weekday = weekday or date.isoweekday()
        found = (self._homeroom_mode_on(date, weekday) if self.is_homeroom_mode(date)
                 else self._normal_on(date, weekday))
        for item in found:
            item.meeting.date = date
        return [item for item in sorted(found, key=lambda e: e.meeting.sort_key) if item.students]

    def _normal_on(self, date, weekday) -> list[ExpectedMeeting]:
        found = []
        for section_id in self.placements:
            section = self.sections.get(section_id)
            if section is None:
                continue
            slots = self._slots(section, weekday)
            if not slots:
                continue
            students = self._section_students(section_id, date)
            found += [ExpectedMeeting(self._lesson(section, slot, weekday), students)
                      for slot in slots]
        for group in self.groups:
            if group.weekday != weekday:
                continue
            students = [s for s in self.members.get(group.pk, ()) if self._attends(s, date)]
            found.append(ExpectedMeeting(self._homework(group, weekday), students))
        for section in self.sections.values():
            if not (section.course.is_fixed and section.course.is_active
                    and section.homeroom_id is not None):
                continue
            slots = self._slots(section, weekday)
            if not slots:
                continue
            students = [s for s in self.students_of_homeroom.get(section.homeroom_id, ())
                        if self._attends(s, date) and weekday in self.applications[s][2]]
            found += [ExpectedMeeting(Meeting(
                weekday=weekday, kind=FIXED, title=f"{section.course.name}（{section.homeroom.name}）",
                period=self._period(slot), venue=section.venue, tutors=list(section.tutors.all()),
                section=section, homeroom=section.homeroom), students) for slot in slots]
        return found

    def _homeroom_mode_on(self, date, weekday) -> list[ExpectedMeeting]:
        """Mixed clubs pause; each homeroom with a homework group that day meets as itself,
        with the children who would have come (a seat that day or a homework group)."""
        coming: set[int] = set()
        for section_id in self.placements:
            section = self.sections.get(section_id)
            if section is not None and self._slots(section, weekday):
                coming.update(self._section_students(section_id, date))
        meeting_homerooms: set[int] = set()
        for group in self.groups:
            if group.weekday == weekday:
                coming.update(s for s in self.members.get(group.pk, ()) if self._attends(s, date))
                meeting_homerooms.update(h.pk for h in group.homerooms.all())
        found = []
        for homeroom_id in sorted(meeting_homerooms):
            homeroom = self.homerooms.get(homeroom_id)
            if homeroom is None:
                continue
            students = [s for s in self.students_of_homeroom.get(homeroom_id, ()) if s in coming]
            found += [ExpectedMeeting(m, list(students))
                      for m in self._homeroom_meetings(homeroom, weekday)]
        return found
