"""Capacity planning (容量预估): from the intention forms as they come in, how many children want
the service each weekday, how many tutors and homework groups that takes at 25 per tutor, and
how many sections each course needs against those planned.

Read while the application window is open, before the arrangement runs, so the office can add
sections and find tutors in time. Counted in the database (a few grouped queries whatever the
school's size), from the forms that say "we take part" and are still in the running — submitted,
returned for correction, approved or placed; drafts are counted apart (they may still change),
withdrawn and rejected ones not at all.

Per weekday the tutors needed are read two ways: the bare norm ``⌈children ÷ 25⌉`` and the
homework groups the arrangement will actually make — one group per 25 children *of one
homeroom* (homework help is by homeroom), so ``Σ ⌈homeroom's children ÷ 25⌉``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from afterschool.formatting import weekday_label
from afterschool.models import Homeroom, Staff, Term
from afterschool.norms import STUDENTS_PER_TUTOR
from afterschool.selectors import homerooms_with_counts
from courses.models import Course, Section
from enrollment.models import Application, Preference

Status = Application.Status
IN_THE_RUNNING = (Status.SUBMITTED, Status.RETURNED, Status.CLASS_APPROVED,
                  Status.SCHOOL_APPROVED, Status.PLACED)


def groups_for(children: int, size: int = STUDENTS_PER_TUTOR) -> int:
    return math.ceil(children / size) if children > 0 else 0


@dataclass
class WeekdayDemand:
    weekday: int
    children: int = 0
    homework_groups: int = 0      # Σ over homerooms of ⌈children ÷ 25⌉
    staff_available: int = 0      # active staff who can serve that weekday

    @property
    def label(self) -> str:
        return weekday_label(self.weekday)

    @property
    def tutors_at_norm(self) -> int:
        return groups_for(self.children)

    @property
    def short(self) -> int:
        """Tutors missing for the homework groups alone (0 when enough can serve)."""
        return max(0, self.homework_groups - self.staff_available)


@dataclass
class HomeroomDemand:
    homeroom: Homeroom
    students: int = 0
    applied: int = 0
    by_weekday: dict = field(default_factory=dict)

    def groups(self, weekday: int) -> int:
        return groups_for(self.by_weekday.get(weekday, 0))


@dataclass
class CourseDemand:
    course: Course
    first_choice: int = 0
    any_choice: int = 0
    sections: int = 0
    capacity: int = 0

    @property
    def section_size(self) -> int:
        """The size a new section would have: the planned sections' mean, else the norm."""
        if self.sections and self.capacity:
            return max(1, round(self.capacity / self.sections))
        return STUDENTS_PER_TUTOR

    @property
    def needed(self) -> int:
        return groups_for(self.first_choice, self.section_size)

    @property
    def gap(self) -> int:
        return self.needed - self.sections

    @property
    def under_minimum(self) -> bool:
        return 0 < self.first_choice < self.course.min_size

    @property
    def suggestion(self) -> str:
        """"篮球：第一志愿 120 人 → 开 5 个班" and how that compares with the plan."""
        head = f"{self.course.name}：第一志愿 {self.first_choice} 人"
        if not self.first_choice:
            return f"{head}（任一志愿 {self.any_choice} 人）→ 暂不需要开班"
        text = f"{head} → 开 {self.needed} 个班"
        if self.under_minimum:
            text += f"（不足最少开班人数 {self.course.min_size} 人）"
        if self.gap > 0:
            text += f"，已计划 {self.sections} 个，还差 {self.gap} 个"
        elif self.gap < 0:
            text += f"，已计划 {self.sections} 个，可少开 {-self.gap} 个"
        else:
            text += "，与计划一致"
        return text


@dataclass
class CapacityPlan:
    term: Term
    weekdays: list[WeekdayDemand]
    homerooms: list[HomeroomDemand]
    courses: list[CourseDemand]
    forms: int                 # forms in the running that take part
    declined: int
    drafts: int
    students: int
    no_days: int               # taking part without a weekday ticked: counted every day

    @property
    def window_open(self) -> bool:
        return self.term.window_is_open()

    @property
    def peak(self) -> WeekdayDemand | None:
        return max(self.weekdays, key=lambda d: d.children, default=None)


def _scalar(qs, aggregate):
    """One aggregate of a correlated queryset grouped on its outer key, 0 when no row."""
    return Coalesce(Subquery(qs.annotate(v=aggregate).values("v")[:1]), 0)


def capacity_plan(term: Term, homerooms: list[Homeroom] | None = None) -> CapacityPlan:
    """The term's demand as the forms stand now. ``homerooms``: the school's, already counted
    (``afterschool.selectors.school_homerooms_counted``), when the page has read them."""
    service_days = sorted(d for d in set(term.service_weekdays or []) if 1 <= d <= 7)
    forms = Application.objects.filter(term=term, student__is_active=True)
    taking = forms.filter(status__in=IN_THE_RUNNING, participates=True)

    if homerooms is None:
        homerooms = homerooms_with_counts(Homeroom.objects.filter(school_id=term.school_id))
    homerooms = {h.pk: HomeroomDemand(homeroom=h, students=h.student_count) for h in homerooms}
    by_day = defaultdict(int)
    no_days = 0
    counts = {"taking": 0, "declined": 0, "drafts": 0}
    # One query for the three counts and the demand: one row per homeroom, set of weekdays,
    # status and "takes part" — a few dozen rows, not one per child.
    for homeroom_id, weekdays, status, participates, n in (
            forms.filter(status__in=(*IN_THE_RUNNING, Status.DRAFT))
            .values_list("student__homeroom_id", "weekdays", "status", "participates")
            .annotate(n=Count("pk")).order_by()):
        if status == Status.DRAFT:
            counts["drafts"] += n
            continue
        if not participates:
            counts["declined"] += n
            continue
        counts["taking"] += n
        row = homerooms.get(homeroom_id)
        if row is None:
            continue
        days = sorted({d for d in (weekdays or []) if d in service_days})
        if not days:
            days, no_days = service_days, no_days + n
        row.applied += n
        for d in days:
            row.by_weekday[d] = row.by_weekday.get(d, 0) + n
            by_day[d] += n

    available = defaultdict(int)
    for days in Staff.objects.filter(school_id=term.school_id, is_active=True).values_list(
            "available_weekdays", flat=True):
        for d in (set(days or []) or set(service_days)):
            available[d] += 1
    weekdays = [WeekdayDemand(weekday=d, children=by_day[d], staff_available=available[d],
                              homework_groups=sum(h.groups(d) for h in homerooms.values()))
                for d in service_days]

    # The courses with their preference and section counts in one query (correlated
    # subqueries: a join of both would multiply the rows).
    prefs = (Preference.objects.filter(course=OuterRef("pk"), application__in=taking)
             .order_by().values("course"))
    sections = Section.objects.filter(course=OuterRef("pk")).order_by().values("course")
    courses = {}
    for c in (Course.objects.filter(term=term, is_fixed=False).order_by("category", "name")
              .annotate(first=_scalar(prefs.filter(rank=1), Count("pk")),
                        any_rank=_scalar(prefs, Count("pk")),
                        n_sections=_scalar(sections, Count("pk")),
                        seats=_scalar(sections, Sum("capacity")))):
        courses[c.pk] = CourseDemand(course=c, first_choice=c.first, any_choice=c.any_rank,
                                     sections=c.n_sections, capacity=c.seats)
    ordered = sorted(courses.values(), key=lambda c: (-c.first_choice, -c.any_choice,
                                                      c.course.name))
    return CapacityPlan(term=term, weekdays=weekdays, homerooms=list(homerooms.values()),
                        courses=ordered, forms=counts["taking"], declined=counts["declined"],
                        drafts=counts["drafts"],
                        students=sum(h.students for h in homerooms.values()), no_days=no_days)
