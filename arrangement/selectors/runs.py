"""Reads of a run: what it places, its rows with their joins applied, its statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from afterschool.models import Period, Term
from courses.models import Course, Section
from enrollment.models import Application, Preference

from ..models import (
    Arrangement,
    ArrangementChange,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
    UnplacedEntry,
)

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


def homework_period(term: Term) -> Period | None:
    """The period of homework tutoring: the term's first 作业辅导 period, else its first."""
    periods = list(term.periods.all())
    homework = [p for p in periods if p.kind == Period.Kind.HOMEWORK]
    return (homework or periods or [None])[0]


def runs_compared(runs: list[Arrangement]) -> dict:
    """Runs side by side: ``columns`` (each run with its statistics, None while computing),
    ``rank_rows`` (per preference rank, one cell per run) and ``course_rows`` (per course)."""
    columns = [{"run": r, "stats": run_statistics(r) if r.is_computed else None} for r in runs]
    ranks = max((len(c["stats"].by_rank) for c in columns if c["stats"]), default=0)
    rank_rows = [{"rank": i + 1, "cells": [
        c["stats"].by_rank[i] if c["stats"] and i < len(c["stats"].by_rank) else None
        for c in columns]} for i in range(ranks)]
    courses: dict[int, dict] = {}
    for n, c in enumerate(columns):
        for fill in (c["stats"].courses if c["stats"] else []):
            courses.setdefault(fill.course.pk, {"course": fill.course,
                                                "cells": [None] * len(columns)})
            courses[fill.course.pk]["cells"][n] = fill
    return {"columns": columns, "rank_rows": rank_rows, "course_rows": list(courses.values())}


def adjustment_search(arrangement: Arrangement, q: str, *, limit: int = 20) -> dict:
    """The adjustment page's matches for a name or a student number: ``placements`` (with the
    student's preferences), ``unplaced``, and ``swap_options`` (every placement of the run)."""
    if not q:
        return {"placements": [], "unplaced": [], "swap_options": []}
    match = Q(student__name__contains=q) | Q(student__student_no=q)
    preferences = Prefetch("application__preferences",
                           queryset=Preference.objects.select_related("course"))
    return {
        "placements": list(placements_detailed(arrangement.placements.filter(match))
                           .prefetch_related(preferences)[:limit]),
        "unplaced": list(unplaced_detailed(arrangement).filter(match)[:limit]),
        "swap_options": list(arrangement.placements
                             .select_related("student__homeroom__grade", "section__course")
                             .order_by("course__name", "section__name", "student__name")),
    }
