"""Reads of the arrangement: querysets with their joins applied, statistics, schedules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from afterschool.models import WEEKDAY_LABELS, Homeroom, Period, Student, Term
from enrollment.models import Application, Preference

from ..models import (
    Arrangement,
    ArrangementChange,
    Course,
    HomeroomModePeriod,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
    Section,
    UnplacedEntry,
)

NORMAL = "normal"
HOMEROOM = "homeroom"

# The applications an arrangement places: approved by the school, or placed by an earlier run.
ARRANGED_STATUSES = (Application.Status.SCHOOL_APPROVED, Application.Status.PLACED)


def arrangement_applications(term: Term) -> QuerySet[Application]:
    return (Application.objects
            .filter(term=term, participates=True, status__in=ARRANGED_STATUSES,
                    student__is_active=True)
            .select_related("student__homeroom__grade")
            .prefetch_related(Prefetch("preferences",
                                       queryset=Preference.objects.select_related("course")
                                       .prefetch_related("course__grades").order_by("rank")))
            .order_by("student_id"))


def arrangement_sections(term: Term) -> QuerySet[Section]:
    """The sections a run fills: of the term's active 走班 courses chosen by preference."""
    return (Section.objects
            .filter(course__term=term, course__mode=Course.Mode.MIXED, course__is_fixed=False,
                    course__is_active=True)
            .select_related("course")
            .prefetch_related("slots__period", "course__grades", "tutors")
            .order_by("course__category", "course__name", "name"))


def active_placements(qs: QuerySet[Placement], on: dt.date | None = None) -> QuerySet[Placement]:
    """Placements that hold a seat on a day (today when not given)."""
    on = on or timezone.localdate()
    return qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def arrangement_with_people(qs: QuerySet[Arrangement]) -> QuerySet[Arrangement]:
    return qs.select_related("term", "created_by", "published_by")


def runs_with_counts(qs: QuerySet[Arrangement]) -> QuerySet[Arrangement]:
    """Runs newest first, with ``placed_now``: students holding a seat today."""
    today = timezone.localdate()
    holding = Q(placements__ended_on__isnull=True) | Q(placements__ended_on__gt=today)
    return (arrangement_with_people(qs)
            .annotate(placed_now=Count("placements__student", filter=holding, distinct=True))
            .order_by("-version"))


def latest_arrangement(qs: QuerySet[Arrangement], term: Term | None) -> Arrangement | None:
    if term is None:
        return None
    return arrangement_with_people(qs.filter(term=term)).order_by("-version").first()


def published_arrangement(term: Term) -> Arrangement | None:
    return Arrangement.objects.filter(term=term, status=Arrangement.Status.PUBLISHED).first()


def placements_detailed(qs: QuerySet[Placement]) -> QuerySet[Placement]:
    return qs.select_related(
        "student__homeroom__grade", "course", "section__course", "application",
    ).prefetch_related("section__slots__period", "section__tutors")


def section_occupancy(arrangement: Arrangement) -> dict[int, int]:
    rows = (active_placements(arrangement.placements.all())
            .values("section_id").annotate(n=Count("pk")))
    return {r["section_id"]: r["n"] for r in rows}


# ------------------------------------------------------------------ statistics


@dataclass
class SectionFill:
    section: Section
    placed: int

    @property
    def free(self) -> int:
        return max(0, self.section.capacity - self.placed)

    @property
    def percent(self) -> int:
        return round(100 * self.placed / self.section.capacity) if self.section.capacity else 0


@dataclass
class CourseFill:
    course: Course
    sections: list[SectionFill] = field(default_factory=list)

    @property
    def placed(self) -> int:
        return sum(s.placed for s in self.sections)

    @property
    def capacity(self) -> int:
        return sum(s.section.capacity for s in self.sections)

    @property
    def under_minimum(self) -> bool:
        return self.course.min_size > 0 and self.placed < self.course.min_size

    @property
    def percent(self) -> int:
        return round(100 * self.placed / self.capacity) if self.capacity else 0


@dataclass
class RunStatistics:
    students: int
    placed: int
    by_rank: list[dict]          # [{"rank": 1, "count": n, "percent": p}, …]
    outside_preferences: int
    courses: list[CourseFill]
    unplaced_count: int
    seconds: float | None
    optimal: bool | None
    mechanism: str

    @property
    def placed_percent(self) -> int:
        return round(100 * self.placed / self.students) if self.students else 0

    @property
    def under_minimum(self) -> list[CourseFill]:
        return [c for c in self.courses if c.under_minimum]


def run_statistics(arrangement: Arrangement) -> RunStatistics:
    """What the run page shows, in a fixed handful of queries whatever the school's size.

    Counted from the rows as they are now, so hand adjustments show; the solver's own figures
    (time, optimality) come from ``arrangement.stats``.
    """
    placements = active_placements(arrangement.placements.all())
    students = arrangement.stats.get("students", 0)
    placed = placements.values("student_id").distinct().count()
    rank_rows = dict(placements.values_list("rank").annotate(n=Count("pk")))
    max_rank = max([r for r in rank_rows if r] + [len(arrangement.stats.get("by_rank", {}))]
                   + [arrangement.term.max_preferences])
    total = sum(rank_rows.values())
    by_rank = [{"rank": r, "count": rank_rows.get(r, 0),
                "percent": round(100 * rank_rows.get(r, 0) / total) if total else 0}
               for r in range(1, max_rank + 1)]
    occupancy = section_occupancy(arrangement)
    fills: dict[int, CourseFill] = {}
    for section in arrangement_sections(arrangement.term):
        fill = fills.setdefault(section.course_id, CourseFill(course=section.course))
        fill.sections.append(SectionFill(section=section, placed=occupancy.get(section.pk, 0)))
    return RunStatistics(
        students=students,
        placed=placed,
        by_rank=by_rank,
        outside_preferences=rank_rows.get(None, 0),
        courses=list(fills.values()),
        unplaced_count=arrangement.unplaced.count(),
        seconds=arrangement.stats.get("seconds"),
        optimal=arrangement.stats.get("optimal"),
        mechanism=arrangement.get_mechanism_display(),
    )


def unplaced_detailed(arrangement: Arrangement) -> QuerySet[UnplacedEntry]:
    return (arrangement.unplaced.select_related("student__homeroom__grade", "application")
            .prefetch_related(Prefetch("application__preferences",
                                       queryset=Preference.objects.select_related("course")
                                       .order_by("rank")))
            .order_by("student__homeroom__grade__number", "student__homeroom__number",
                      "student__student_no"))


def changes_detailed(arrangement: Arrangement) -> QuerySet[ArrangementChange]:
    return arrangement.changes.select_related("actor", "student", "section__course")


def homework_groups_detailed(arrangement: Arrangement) -> QuerySet[HomeworkGroup]:
    return (arrangement.homework_groups.select_related("tutor")
            .prefetch_related("homerooms__grade",
                              Prefetch("members", queryset=HomeworkGroupMember.objects
                                       .select_related("student__homeroom__grade")
                                       .order_by("student__homeroom__number",
                                                 "student__student_no")))
            .annotate(size=Count("members")))


# ------------------------------------------------------------------ rosters


def section_roster(arrangement: Arrangement, section: Section) -> QuerySet[Placement]:
    return (active_placements(arrangement.placements.filter(section=section))
            .select_related("student__homeroom__grade", "application")
            .order_by("student__homeroom__grade__number", "student__homeroom__number",
                      "student__student_no"))


def homeroom_roster(arrangement: Arrangement, homeroom: Homeroom) -> QuerySet[Student]:
    """A homeroom's arranged children with their placements and homework groups."""
    return (Student.objects
            .filter(homeroom=homeroom, applications__term=arrangement.term,
                    applications__status__in=ARRANGED_STATUSES,
                    applications__participates=True)
            .select_related("homeroom__grade")
            .prefetch_related(
                Prefetch("placements",
                         queryset=active_placements(
                             Placement.objects.filter(arrangement=arrangement))
                         .select_related("course", "section")
                         .prefetch_related("section__slots__period"),
                         to_attr="run_placements"),
                Prefetch("homework_memberships",
                         queryset=HomeworkGroupMember.objects.filter(arrangement=arrangement)
                         .select_related("group").order_by("weekday"),
                         to_attr="run_homework"))
            .order_by("student_no").distinct())


def tutor_sections(arrangement: Arrangement | None, staff) -> list[dict]:
    """A tutor's sections of a published run, each with its roster."""
    if arrangement is None or staff is None:
        return []
    sections = (arrangement_sections(arrangement.term).filter(tutors=staff)
                .prefetch_related(Prefetch(
                    "placements",
                    queryset=active_placements(arrangement.placements.all())
                    .select_related("student__homeroom__grade")
                    .order_by("student__homeroom__grade__number", "student__homeroom__number",
                              "student__student_no"),
                    to_attr="roster")))
    return list(sections)


def tutor_homework_groups(arrangement: Arrangement | None, staff) -> list[HomeworkGroup]:
    if arrangement is None or staff is None:
        return []
    return list(homework_groups_detailed(arrangement).filter(tutor=staff))


# ------------------------------------------------------------------ schedules


def service_mode_on(term: Term, date: dt.date) -> str:
    """``"homeroom"`` on a day inside a homeroom-mode range of the term, else ``"normal"``."""
    inside = HomeroomModePeriod.objects.filter(term=term, start_date__lte=date,
                                               end_date__gte=date).exists()
    return HOMEROOM if inside else NORMAL


def homeroom_mode_period_on(term: Term, date: dt.date) -> HomeroomModePeriod | None:
    return HomeroomModePeriod.objects.filter(term=term, start_date__lte=date,
                                             end_date__gte=date).first()


@dataclass
class ScheduleItem:
    weekday: int
    kind: str               # "homework" | "course" | "homeroom"
    title: str
    period: Period | None = None
    venue: str = ""
    tutors: list = field(default_factory=list)
    section: Section | None = None
    group: HomeworkGroup | None = None

    @property
    def weekday_label(self) -> str:
        return WEEKDAY_LABELS[self.weekday - 1]

    @property
    def sort_key(self) -> tuple:
        return (self.weekday, self.period.number if self.period else 0, self.title)


def homework_period(term: Term) -> Period | None:
    periods = list(term.periods.all())
    homework = [p for p in periods if p.kind == Period.Kind.HOMEWORK]
    return (homework or periods or [None])[0]


def weekly_schedule(arrangement: Arrangement, student: Student,
                    on: dt.date | None = None) -> list[ScheduleItem]:
    """A child's week in a run: homework group each attending day, and their sections."""
    term = arrangement.term
    homework = homework_period(term)
    items = []
    memberships = (HomeworkGroupMember.objects
                   .filter(arrangement=arrangement, student=student)
                   .select_related("group__tutor"))
    for m in memberships:
        group = m.group
        items.append(ScheduleItem(weekday=group.weekday, kind="homework",
                                  title=f"作业辅导（{group.name}）", period=homework,
                                  tutors=[group.tutor] if group.tutor else [], group=group))
    placements = placements_detailed(
        active_placements(arrangement.placements.filter(student=student), on))
    for p in placements:
        tutors = list(p.section.tutors.all())
        for slot in p.section.slots.all():
            items.append(ScheduleItem(weekday=slot.weekday, kind="course",
                                      title=f"{p.course.name}（{p.section.name}）",
                                      period=slot.period, venue=p.section.venue,
                                      tutors=tutors, section=p.section))
    return sorted(items, key=lambda i: i.sort_key)


def schedule_for_student(student: Student, date: dt.date) -> list[ScheduleItem]:
    """What a child has on one day: for attendance, and the guardian's page.

    Nothing before the published arrangement, outside the term, off the child's days or after
    a withdrawal; in a homeroom-mode range, the homeroom's own group instead of mixed clubs.
    """
    term = (Term.objects.filter(school_id=student.school_id, start_date__lte=date,
                                end_date__gte=date).prefetch_related("periods").first())
    if term is None:
        return []
    arrangement = published_arrangement(term)
    if arrangement is None:
        return []
    app = Application.objects.filter(term=term, student=student).first()
    if app is None or app.status != Application.Status.PLACED:
        if not (app and app.status == Application.Status.WITHDRAWN and app.withdrawn_on
                and app.withdrawn_on > date):
            return []
    weekday = date.isoweekday()
    arrangement.term = term
    items = [i for i in weekly_schedule(arrangement, student, on=date) if i.weekday == weekday]
    if service_mode_on(term, date) == HOMEROOM:
        return homeroom_mode_items(term, student, weekday) if items else []
    return items


def homeroom_mode_items(term: Term, student: Student, weekday: int) -> list[ScheduleItem]:
    """特色课程+作业辅导 in the child's own homeroom, for a day in a homeroom-mode range."""
    homeroom = student.homeroom
    items = [ScheduleItem(weekday=weekday, kind="homeroom",
                          title=f"{homeroom.name}：作业辅导", period=homework_period(term),
                          tutors=[homeroom.head_teacher] if homeroom.head_teacher else [])]
    sections = (Section.objects.filter(course__term=term, homeroom=homeroom,
                                       course__is_active=True)
                .select_related("course").prefetch_related("slots__period", "tutors"))
    for section in sections:
        for slot in section.slots.all():
            if slot.weekday == weekday:
                items.append(ScheduleItem(weekday=weekday, kind="homeroom",
                                          title=f"{homeroom.name}：{section.course.name}",
                                          period=slot.period, venue=section.venue,
                                          tutors=list(section.tutors.all()), section=section))
    if len(items) == 1:
        items[0].title = f"{homeroom.name}：特色课程+作业辅导"
    return sorted(items, key=lambda i: i.sort_key)


def homeroom_mode_periods(term: Term) -> QuerySet[HomeroomModePeriod]:
    return term.homeroom_mode_periods.select_related("created_by").order_by("start_date")


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
        result.append(entry)
    return result


def days_by_weekday(items: list[ScheduleItem]) -> list[tuple[str, list[ScheduleItem]]]:
    days: dict[int, list] = defaultdict(list)
    for item in items:
        days[item.weekday].append(item)
    return [(WEEKDAY_LABELS[d - 1], days[d]) for d in sorted(days)]
