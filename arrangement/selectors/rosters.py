"""Rosters of a run: a section's children, a homeroom's children, a tutor's groups.

The safety rosters (:func:`section_safety_roster`, :func:`homework_group_safety_roster`) add
how each child goes home, who may fetch them, allergies, health notes and the emergency phone;
the views show them only to the office and to the tutor of that section or group."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from afterschool.cleaning import mask_phone
from afterschool.models import Homeroom, Student
from courses.models import Section
from enrollment.models import Application

from ..models import Arrangement, HomeworkGroup, HomeworkGroupMember, Placement
from .runs import (
    ARRANGED_STATUSES,
    active_placements,
    arrangement_sections,
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


def tutor_sections(arrangement: Arrangement | None, staff) -> list[Section]:
    """A tutor's sections of a published run, each with its slots and its ``roster``."""
    if arrangement is None or staff is None:
        return []
    sections = (arrangement_sections(arrangement.term).filter(tutors=staff)
                .prefetch_related(None)
                .prefetch_related("slots__period", Prefetch(
                    "placements",
                    queryset=active_placements(arrangement.placements.all())
                    .select_related("student__homeroom__grade")
                    .order_by("student__homeroom__grade__number", "student__homeroom__number",
                              "student__student_no"),
                    to_attr="roster")))
    return list(sections)


def tutor_homework_groups(arrangement: Arrangement | None, staff) -> list[HomeworkGroup]:
    """A tutor's homework groups of a run, each with its ``roster`` of members and ``size``:
    two queries, whether the tutor has groups or not."""
    if arrangement is None or staff is None:
        return []
    groups = list(arrangement.homework_groups.filter(tutor=staff))
    return _with_rosters(groups, HomeworkGroupMember.objects.filter(
        group__arrangement=arrangement, group__tutor=staff))


def _with_rosters(groups: list[HomeworkGroup], members) -> list[HomeworkGroup]:
    rosters: dict[int, list[HomeworkGroupMember]] = {g.pk: [] for g in groups}
    for member in (members.select_related("student__homeroom__grade")
                   .order_by("student__homeroom__number", "student__student_no")):
        rosters.setdefault(member.group_id, []).append(member)
    for group in groups:
        group.roster = rosters[group.pk]
        group.size = len(group.roster)
    return groups


def homework_groups_with_rosters(arrangement: Arrangement) -> list[HomeworkGroup]:
    """Every homework group of a run with its ``roster`` and ``size``, in two queries."""
    groups = list(arrangement.homework_groups.select_related("tutor"))
    return _with_rosters(groups, HomeworkGroupMember.objects.filter(
        group__arrangement=arrangement))


# ------------------------------------------------------------------ safety details


@dataclass
class SafetyRow:
    """One child on a printed roster with what the adult in charge needs to hand them over
    safely. Built only for the office and the tutor of that section or group."""

    number: int
    student: Student
    way_home: str
    pickups: list[str]
    allergies: str
    health_notes: str
    contact_phone: str
    rank_label: str = ""


def way_home(application: Application | None, student: Student) -> str:
    """家长接送 / 自行回家 / 校车（线路） / 住校, as the family said on the intention form."""
    if student.is_boarder:
        return "住校"
    if application is None or not application.dismissal:
        return "未填写"
    if application.dismissal == Application.Dismissal.BUS:
        return f"校车（{application.bus_route}）" if application.bus_route else "校车"
    return application.get_dismissal_display()


def _safety_row(number: int, student: Student, application: Application | None,
                rank_label: str = "", mask_phones: bool = False) -> SafetyRow:
    shown = mask_phone if mask_phones else str
    pickups = [f"{p.name}（{p.relation}）{shown(p.phone)}"
               for p in (application.pickup_persons.all() if application else [])]
    return SafetyRow(number=number, student=student, way_home=way_home(application, student),
                     pickups=pickups,
                     allergies=application.allergies if application else "",
                     health_notes=application.health_notes if application else "",
                     contact_phone=shown(application.contact_phone) if application else "",
                     rank_label=rank_label)


def section_safety_roster(arrangement: Arrangement, section: Section,
                          placements: QuerySet[Placement] | None = None, *,
                          mask_phones: bool = False) -> list[SafetyRow]:
    """A section's children today with how they go home, who may fetch them and their health.

    ``placements`` narrows the roster (the caller's scoping); ``mask_phones``: 138****8000
    (who sees full numbers: afterschool/audit.py). Two queries whatever the size."""
    qs = section_roster(arrangement, section)
    if placements is not None:
        qs = qs.filter(pk__in=placements.values("pk"))
    qs = qs.prefetch_related("application__pickup_persons")
    return [_safety_row(i, p.student, p.application, p.rank_label, mask_phones)
            for i, p in enumerate(qs, start=1)]


def homework_group_safety_roster(group: HomeworkGroup, on: dt.date | None = None, *,
                                 mask_phones: bool = False) -> list[SafetyRow]:
    """A homework group's children still in the service on ``on`` (today when not given)."""
    on = on or timezone.localdate()
    term_id = group.arrangement.term_id
    applications = (Application.objects.filter(term_id=term_id)
                    .prefetch_related("pickup_persons"))
    members = (group.members.select_related("student__homeroom__grade")
               .prefetch_related(Prefetch("student__applications", queryset=applications,
                                          to_attr="term_applications"))
               .order_by("student__homeroom__grade__number", "student__homeroom__number",
                         "student__student_no"))
    rows = []
    for member in members:
        application = (member.student.term_applications or [None])[0]
        if application is not None and application.status == Application.Status.WITHDRAWN \
                and application.withdrawn_on is not None and application.withdrawn_on <= on:
            continue
        rows.append(_safety_row(len(rows) + 1, member.student, application,
                                mask_phones=mask_phones))
    return rows
