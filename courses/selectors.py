"""Reads of the catalog: querysets with their joins applied, so no template queries per row."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from afterschool.formatting import WEEKDAY_LABELS
from afterschool.models import Grade, Homeroom, School, Staff, Term

from . import occupancy, staffing
from .demand import demand_annotations
from .models import BUILTIN_CATEGORIES, Course, Section, SectionSlot


def slots_with_labels() -> QuerySet[SectionSlot]:
    """Slots with their period and a ``weekday_label`` (周二), for "周二 第2节 17:30–18:10";
    ordered by period, so a template can group the days that share one."""
    return SectionSlot.objects.select_related("period").annotate(
        weekday_label=Case(*[When(weekday=i, then=Value(label))
                             for i, label in enumerate(WEEKDAY_LABELS, start=1)],
                           output_field=CharField()),
    ).order_by("period__number", "weekday")


def sections_with_details(qs: QuerySet[Section]) -> QuerySet[Section]:
    return qs.select_related("course", "homeroom__grade").prefetch_related(
        Prefetch("slots", queryset=slots_with_labels()),
        Prefetch("tutors", queryset=Staff.objects.order_by("name")),
    )


def _seats():
    return Coalesce(Subquery(
        Section.objects.filter(course=OuterRef("pk")).order_by().values("course")
        .annotate(total=Sum("capacity")).values("total"), output_field=IntegerField()),
        Value(0))


def catalog_courses(qs: QuerySet[Course], *, term: Term, category: str = "",
                    grade: Grade | None = None) -> QuerySet[Course]:
    """The coordinator's list: each course with its sections, seats and preference counts."""
    qs = qs.filter(term=term)
    if category:
        qs = qs.filter(category=category)
    if grade is not None:
        qs = qs.filter(grades=grade)
    return qs.annotate(seats=_seats(), **demand_annotations()).prefetch_related(
        Prefetch("grades", queryset=Grade.objects.order_by("number")),
        Prefetch("sections", queryset=sections_with_details(Section.objects.order_by("name"))),
    ).order_by("-is_active", "-is_fixed", "category", "name")


def course_detail(qs: QuerySet[Course], *, sections: QuerySet[Section]) -> QuerySet[Course]:
    """One course with the sections the viewer may see (``sections``, already scoped)."""
    return qs.select_related("term").annotate(seats=_seats(), **demand_annotations()).prefetch_related(
        Prefetch("grades", queryset=Grade.objects.order_by("number")),
        Prefetch("sections", queryset=sections_with_details(sections.order_by("name")),
                 to_attr="visible_sections"),
    )


def catalog_for_grade(qs: QuerySet[Course], *, term: Term, grade: Grade,
                      sections: QuerySet[Section]) -> QuerySet[Course]:
    """What a guardian browses: the open courses of one grade, with the sections they may see
    (``sections`` is already scoped to the viewer)."""
    return (qs.filter(term=term, grades=grade, is_active=True)
            .prefetch_related(Prefetch("sections", queryset=sections_with_details(
                sections.order_by("name")), to_attr="visible_sections"))
            .order_by("-is_fixed", "category", "name"))


def category_options(school: School) -> list[str]:
    """The built-in categories, then the ones this school made up, for the form's datalist."""
    used = (Course.objects.filter(school=school).order_by("category")
            .values_list("category", flat=True).distinct())
    return list(dict.fromkeys([*BUILTIN_CATEGORIES, *used]))


def categories_in_use(qs: QuerySet[Course], term: Term) -> list[str]:
    return list(qs.filter(term=term).order_by("category").values_list("category", flat=True)
                .distinct())


def homerooms_with_size(grades) -> QuerySet[Homeroom]:
    return (Homeroom.objects.filter(grade__in=grades).select_related("grade")
            .annotate(size=Count("students", filter=Q(students__is_active=True)))
            .order_by("grade__number", "number"))


def term_sections(term: Term) -> QuerySet[Section]:
    """Every section of the term's open courses, for staffing."""
    return sections_with_details(
        Section.objects.filter(course__term=term, course__is_active=True)
        .order_by("course__category", "course__name", "name"))


def staff_with_load(term: Term) -> QuerySet[Staff]:
    """The school's active staff with ``load``: lessons a week in the term's sections."""
    in_term = Q(sections__course__term=term, sections__course__is_active=True)
    return (Staff.objects.filter(school_id=term.school_id, is_active=True)
            .annotate(load=Count("sections__slots", filter=in_term))
            .order_by("is_external", "name"))


def staff_for_course(course: Course) -> QuerySet[Staff]:
    """Whom a course's sections may have, with ``load``: staff of the course's kind
    (校内/校外), those whose subjects name the course's subject first."""
    staff = staff_with_load(course.term)
    if course.instructor_kind != Course.InstructorKind.ANY:
        staff = staff.filter(is_external=course.instructor_kind == Course.InstructorKind.EXTERNAL)
    if course.instructor_subject:
        staff = staff.annotate(other_subject=Case(
            When(subjects__icontains=course.instructor_subject, then=Value(0)),
            default=Value(1))).order_by("other_subject", "is_external", "name")
    return staff


@dataclass
class StaffingInput:
    sections: list[Section]
    staff: list[Staff]
    units: list[staffing.Unit]
    tutors: list[staffing.Tutor]
    # Each tutor's slots held outside the catalog (homework groups).
    held: dict[int, set[tuple[int, int]]] = field(default_factory=dict)


def staffing_input(term: Term) -> StaffingInput:
    """The term's sections and staff as the plain data :mod:`courses.staffing` works on."""
    sections = list(term_sections(term))
    staff = list(Staff.objects.filter(school=term.school, is_active=True).order_by("name"))
    active = {s.pk for s in staff}
    units = [staffing.Unit(
        id=section.pk,
        slots=tuple((slot.weekday, slot.period.number) for slot in section.slots.all()),
        subject=section.course.instructor_subject or None,
        kind=section.course.instructor_kind,
        needed=staffing.tutors_needed(section.capacity),
        assigned=tuple(t.pk for t in section.tutors.all() if t.pk in active),
        label=str(section),
    ) for section in sections]
    elsewhere = _held_elsewhere(term)
    tutors = [staffing.Tutor(
        id=s.pk, weekdays=frozenset(s.available_weekdays or []),
        subjects=frozenset(s.subject_list), is_external=s.is_external,
        max_load=s.max_weekly_lessons, name=s.name,
        busy=frozenset(elsewhere.get(s.pk, ())), base_load=len(elsewhere.get(s.pk, ())),
    ) for s in staff]
    return StaffingInput(sections=sections, staff=staff, units=units, tutors=tutors,
                         held=elsewhere)


def _held_elsewhere(term: Term) -> dict[int, set[tuple[int, int]]]:
    """Each tutor's slots held outside the catalog (homework groups): taken and counted."""
    held: dict[int, set[tuple[int, int]]] = {}
    for item in occupancy.occupied(term):
        if item.tutor_id is not None:
            held.setdefault(item.tutor_id, set()).add((item.weekday, item.period_number))
    return held


@dataclass
class StaffingProposal:
    """What the staffing solver proposes for a term: nothing is saved until the office applies.

    ``proposal``: ``[{"section", "tutors"}]`` to add, in catalog order; ``unstaffed``:
    ``[{"section", "missing", "reason"}]``; ``loads``: ``[{"staff", "load", "before"}]``,
    busiest first; ``result``: the solver's own :class:`~courses.staffing.StaffingResult`.
    """

    proposal: list[dict]
    unstaffed: list[dict]
    loads: list[dict]
    result: staffing.StaffingResult


def staffing_proposal(term: Term, *, time_limit: float = 10) -> StaffingProposal:
    """Tutors for the term's sections that lack them, from OR-Tools within ``time_limit``
    seconds; the tutors already assigned stay."""
    data = staffing_input(term)
    result = staffing.assign_tutors(data.units, data.tutors, seed=0, time_limit=time_limit)
    sections = {s.pk: s for s in data.sections}
    staff = {s.pk: s for s in data.staff}
    proposal = sorted(
        ({"section": sections[sid], "tutors": [staff[t] for t in added]}
         for sid, added in result.added.items()),
        key=lambda row: (row["section"].course.category, row["section"].course.name,
                         row["section"].name))
    unstaffed = [{"section": sections[u.unit_id], "missing": u.missing, "reason": u.reason}
                 for u in result.unstaffed]
    before = dict(staff_with_load(term).values_list("pk", "load"))
    for tid, slots in data.held.items():
        before[tid] = before.get(tid, 0) + len(slots)
    loads = sorted(({"staff": staff[tid], "load": load, "before": before.get(tid, 0)}
                    for tid, load in result.loads.items()),
                   key=lambda row: (-row["load"], row["staff"].name))
    return StaffingProposal(proposal=proposal, unstaffed=unstaffed, loads=loads, result=result)


def catalog_summary(school: School, term: Term) -> dict:
    """Counts for the office's home panel, in one aggregate: the home page asks on every visit.

    Courses joined to their sections (a course without one still counts): courses by
    distinct id, the open courses' sections and seats once per section row."""
    open_section = Q(is_active=True, sections__isnull=False)
    untutored = ~Exists(Section.tutors.through.objects.filter(section_id=OuterRef("sections")))
    # Aliases other than "sections": an aggregate of that name would hide the relation.
    found = Course.objects.filter(school=school, term=term).aggregate(
        open_courses=Count("pk", filter=Q(is_active=True), distinct=True),
        closed_courses=Count("pk", filter=Q(is_active=False), distinct=True),
        open_sections=Count("sections", filter=open_section),
        open_seats=Sum("sections__capacity", filter=open_section),
        without_tutor=Count("sections", filter=open_section & Q(untutored)))
    return {"courses": found["open_courses"], "closed": found["closed_courses"],
            "sections": found["open_sections"], "seats": found["open_seats"] or 0,
            "untutored": found["without_tutor"]}
