"""Rosters of a run: a section's children, a homeroom's children, a tutor's groups."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from afterschool.models import Homeroom, Student
from courses.models import Section

from ..models import Arrangement, HomeworkGroup, HomeworkGroupMember, Placement
from .runs import (
    ARRANGED_STATUSES,
    active_placements,
    arrangement_sections,
    homework_groups_detailed,
)


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
