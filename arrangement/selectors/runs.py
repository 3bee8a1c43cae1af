"""Reads of a run: what it places, its rows with their joins applied, its statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from afterschool.formatting import weekdays_text
from afterschool.models import Period, Term
from courses.models import Course, Section
from enrollment.models import Application, Preference

from ..exceptions import NO_FREE_SEAT, NOT_ATTENDING_DAY
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


def run_sections(arrangement: Arrangement) -> QuerySet[Section]:
    """The sections of a run. A draft works with the term's sections as they are (the office
    may open a section while adjusting it); publishing freezes them, so a section created
    after publishing is not part of the published run.

    A published run with no sections recorded shows the term's.
    """
    sections = arrangement_sections(arrangement.term)
    if arrangement.status != Arrangement.Status.DRAFT and arrangement.sections.exists():
        sections = sections.filter(pk__in=arrangement.sections.values("pk"))
    return sections


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


def latest_and_published(qs: QuerySet[Arrangement], term: Term
                         ) -> tuple[Arrangement | None, Arrangement | None]:
    """The term's latest run and its published one (often the same), in one query."""
    runs = qs.filter(term=term)
    latest = runs.order_by("-version").values("pk")[:1]
    found = list(arrangement_with_people(runs.filter(
        Q(pk__in=Subquery(latest)) | Q(status=Arrangement.Status.PUBLISHED)))
        .order_by("-version"))
    for run in found:
        run.term = term
    published = next((r for r in found if r.status == Arrangement.Status.PUBLISHED), None)
    return (found[0] if found else None), published


def published_arrangement(term: Term) -> Arrangement | None:
    run = Arrangement.objects.filter(term=term, status=Arrangement.Status.PUBLISHED).first()
    if run is not None:
        run.term = term  # the caller's term, with whatever it has prefetched
    return run


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
    changed_by_hand: bool = False
    pinned: int = 0
    scope: str = ""

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
    # Students with a placement of each rank (with k > 1 a child may count under two ranks),
    # as a share of the run's students, not of its placements.
    rank_rows = dict(placements.values_list("rank")
                     .annotate(n=Count("student_id", distinct=True)))
    max_rank = max([r for r in rank_rows if r] + [len(arrangement.stats.get("by_rank", {}))]
                   + [arrangement.term.max_preferences])
    by_rank = [{"rank": r, "count": rank_rows.get(r, 0),
                "percent": round(100 * rank_rows.get(r, 0) / students) if students else 0}
               for r in range(1, max_rank + 1)]
    occupancy = section_occupancy(arrangement)
    fills: dict[int, CourseFill] = {}
    for section in run_sections(arrangement):
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
        optimal=(None if arrangement.stats.get("changed_by_hand")
                 else arrangement.stats.get("optimal")),
        mechanism=arrangement.get_mechanism_display(),
        changed_by_hand=bool(arrangement.stats.get("changed_by_hand")),
        pinned=arrangement.stats.get("pinned", 0),
        scope=arrangement.get_scope_display(),
    )


def followup_counts(arrangement: Arrangement) -> dict:
    """For the run page's "在本版基础上" actions: ``waiting`` (children of the term's
    arrangement without a seat in this run: approved since, or left unplaced) and
    ``by_hand`` (children whose seats were changed by hand, which a re-run keeps)."""
    holding = active_placements(arrangement.placements.all())
    waiting = (arrangement_applications(arrangement.term)
               .exclude(student_id__in=holding.values("student_id")).count())
    by_hand = holding.filter(by_hand=True).values("student_id").distinct().count()
    return {"waiting": waiting, "by_hand": by_hand}


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
    result = {"columns": columns, "rank_rows": rank_rows, "course_rows": list(courses.values()),
              "moves": None, "same_students": False}
    if len(runs) == 2 and all(r.is_computed for r in runs):
        result.update(runs_moves(*runs))
    return result


@dataclass
class StudentMove:
    """A child whose seats differ between two runs: from (first run) → to (second), and why."""

    student: object
    before: list[str]
    after: list[str]
    why: str


def _seats(run: Arrangement) -> tuple[dict[int, list], dict[int, object], dict[int, str]]:
    """(student → placements, student → Student, student → unplaced reason) of a run."""
    held: dict[int, list] = {}
    people: dict[int, object] = {}
    for p in (active_placements(run.placements.all())
              .select_related("student__homeroom__grade", "section__course")
              .order_by("student_id", "course__name")):
        held.setdefault(p.student_id, []).append(p)
        people[p.student_id] = p.student
    unplaced = {}
    for u in run.unplaced.select_related("student__homeroom__grade"):
        unplaced[u.student_id] = u.reason
        people[u.student_id] = u.student
    return held, people, unplaced


def runs_moves(first: Arrangement, second: Arrangement, *, limit: int = 300) -> dict:
    """Which children sit differently in ``second`` than in ``first``, in five queries.

    ``same_students`` is true only when both runs arrange exactly the same children;
    ``joined``/``left`` count those only in the second or only in the first.
    """
    held_a, people_a, unplaced_a = _seats(first)
    held_b, people_b, unplaced_b = _seats(second)
    in_a, in_b = set(people_a), set(people_b)
    hand = {}
    for c in (second.changes.exclude(kind=ArrangementChange.Kind.STATUS)
              .filter(student__isnull=False).exclude(comment="").order_by("at", "pk")):
        hand[c.student_id] = c.comment

    def labels(held, sid):
        return [f"{p.section.course.name} · {p.section.name}" for p in held.get(sid, [])]

    moves = []
    for sid in sorted(in_a | in_b, key=lambda s: _student_order(people_b.get(s) or people_a[s])):
        before, after = labels(held_a, sid), labels(held_b, sid)
        if sid in in_a and sid in in_b and sorted(before) == sorted(after):
            continue
        if sid not in in_a:
            why = "本版新加入"
        elif sid not in in_b:
            why = "不在本版中（已退出或不再参加）"
        elif held_b.get(sid):
            why = next((p.note for p in held_b[sid] if p.note), "")
        else:
            why = unplaced_b.get(sid, "")
        if sid in hand:
            why = f"{why}（调整说明：{hand[sid]}）" if why else hand[sid]
        moves.append(StudentMove(
            student=people_b.get(sid) or people_a[sid],
            before=before or (["未安排"] if sid in in_a else ["不在该版"]),
            after=after or (["未安排"] if sid in in_b else ["不在该版"]), why=why))
    return {"same_students": in_a == in_b, "joined": len(in_b - in_a),
            "left": len(in_a - in_b), "moves": moves[:limit], "moves_total": len(moves)}


def _student_order(student) -> tuple:
    return (student.homeroom.grade.number, student.homeroom.number, student.student_no)


def seat_choices(sections: list[Section], occupancy: dict[int, int], *, application, student,
                 term: Term, exclude: int | None = None) -> list[tuple[int, str, str]]:
    """The adjustment picker for one child: (section, label, why not) — the sections with a
    free seat on days the child attends first, the others after them with the reason.

    ``sections`` must come from :func:`arrangement_sections` (grades and slots prefetched),
    so the choices of twenty children cost no query.
    """
    from ..exchange import attending_weekdays

    days = set(attending_weekdays(application, term))
    grade = student.homeroom.grade.number
    open_, closed = [], []
    for section in sections:
        if section.pk == exclude:
            continue
        slots = list(section.slots.all())
        taken = occupancy.get(section.pk, 0)
        label = (f"{section.course.name} · {section.name}（"
                 f"{'、'.join(str(s) for s in slots)}，{taken}/{section.capacity}）")
        missing = sorted({s.weekday for s in slots} - days)
        if grade not in {g.number for g in section.course.grades.all()}:
            why = "不面向该年级"
        elif missing:
            why = NOT_ATTENDING_DAY.format(days=weekdays_text(missing))
        elif taken >= section.capacity:
            why = NO_FREE_SEAT
        else:
            open_.append((section.pk, label, ""))
            continue
        closed.append((section.pk, label, why))
    return open_ + closed


def adjustment_search(arrangement: Arrangement, q: str, *, limit: int = 20) -> dict:
    """The adjustment page's matches for a name or a student number: ``placements`` (with the
    student's preferences) and ``unplaced``. Whom a placement may swap with is asked for one
    placement at a time, when its form is opened (:func:`swap_candidates`)."""
    if not q:
        return {"placements": [], "unplaced": []}
    match = Q(student__name__contains=q) | Q(student__student_no=q)
    preferences = Prefetch("application__preferences",
                           queryset=Preference.objects.select_related("course"))
    return {
        "placements": list(placements_detailed(arrangement.placements.filter(match))
                           .prefetch_related(preferences)[:limit]),
        "unplaced": list(unplaced_detailed(arrangement).filter(match)[:limit]),
    }


def swap_candidates(arrangement: Arrangement, placement: Placement) -> QuerySet[Placement]:
    """The placements of the run in another section than ``placement``'s: whom it may swap
    with. One query, read only when the coordinator opens that student's swap form."""
    return (arrangement.placements.exclude(section_id=placement.section_id)
            .select_related("student__homeroom__grade", "section__course")
            .order_by("course__name", "section__name", "student__name"))
