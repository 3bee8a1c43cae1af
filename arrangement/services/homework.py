"""Homework tutoring groups of a run: every attending child each day, and a tutor for each."""

from __future__ import annotations

from collections import defaultdict

from afterschool.models import Staff
from courses import staffing
from courses.models import Section
from enrollment.models import Application

from ..exceptions import HOMEWORK_NO_PERIOD, HOMEWORK_NO_TUTOR
from ..exchange import attending_weekdays
from ..grouping import GroupPlan, HomeworkChild, group_homework
from ..models import Arrangement, HomeworkGroup, HomeworkGroupMember
from ..selectors import homework_period


def _group_name(plan: GroupPlan, homerooms: dict) -> str:
    rooms = [homerooms[r] for r in plan.homerooms]
    name = rooms[0].grade.name + "、".join(str(r.number) for r in rooms) + "班"
    if plan.parts > 1:
        name += f"（第{plan.part}组）"
    return name


def homework_groups_build(*, arrangement: Arrangement,
                           applications: list[Application]) -> dict:
    """Group every attending child per day and staff each group; returns a short summary."""
    term = arrangement.term
    children, homerooms = [], {}
    for app in applications:
        student = app.student
        homerooms[student.homeroom_id] = student.homeroom
        children.append(HomeworkChild(id=student.pk, grade=student.homeroom.grade.number,
                                      homeroom=student.homeroom_id,
                                      days=frozenset(attending_weekdays(app, term))))
    plans = group_homework(children)
    groups = HomeworkGroup.objects.bulk_create([
        HomeworkGroup(arrangement=arrangement, weekday=p.weekday, name=_group_name(p, homerooms))
        for p in plans])
    if groups and groups[0].pk is None:  # a backend that returns no ids
        by_key = {(g.weekday, g.name): g for g in arrangement.homework_groups.all()}
        groups = [by_key[g.weekday, g.name] for g in groups]
    through = HomeworkGroup.homerooms.through
    through.objects.bulk_create([through(homeworkgroup_id=g.pk, homeroom_id=r)
                                 for g, p in zip(groups, plans, strict=True) for r in p.homerooms])
    HomeworkGroupMember.objects.bulk_create([
        HomeworkGroupMember(group=g, student_id=s, arrangement=arrangement, weekday=g.weekday)
        for g, p in zip(groups, plans, strict=True) for s in p.students], batch_size=1000)
    return _homework_groups_staff(arrangement=arrangement, groups=groups, plans=plans,
                                  homerooms=homerooms)


def _homework_groups_staff(*, arrangement, groups, plans, homerooms) -> dict:
    period = homework_period(arrangement.term)
    if not groups:
        return {"groups": 0, "staffed": 0}
    if period is None:
        HomeworkGroup.objects.filter(pk__in=[g.pk for g in groups]).update(
            unstaffed_reason=HOMEWORK_NO_PERIOD)
        return {"groups": len(groups), "staffed": 0}
    term = arrangement.term
    staff = list(Staff.objects.filter(school_id=term.school_id, is_active=True,
                                      is_external=False))
    # Every section of the term takes its tutors' time, not only the run's 走班 ones.
    busy: dict[int, set] = defaultdict(set)
    for section in (Section.objects.filter(course__term=term, course__is_active=True)
                    .prefetch_related("tutors", "slots__period")):
        for tutor in section.tutors.all():
            for slot in section.slots.all():
                busy[tutor.pk].add((slot.weekday, slot.period.number))
    tutors = [staffing.Tutor(
        id=s.pk, weekdays=frozenset(s.available_weekdays or []),
        subjects=frozenset(s.subject_list), is_external=s.is_external,
        max_load=s.max_weekly_lessons, busy=frozenset(busy[s.pk]), base_load=len(busy[s.pk]),
        name=s.name) for s in staff]
    known = {t.id: t for t in tutors}
    # A single homeroom's group is first offered to its own 班主任, when free that day.
    load = {t.id: t.base_load for t in tutors}
    taken = defaultdict(set)
    units = []
    for group, plan in zip(groups, plans, strict=True):
        slot = (group.weekday, period.number)
        assigned = ()
        head = homerooms[plan.homerooms[0]].head_teacher_id if len(plan.homerooms) == 1 else None
        tutor = known.get(head)
        if (tutor and plan.part == 1 and group.weekday in tutor.weekdays
                and slot not in tutor.busy and slot not in taken[head]
                and load[head] + 1 <= tutor.max_load):
            assigned = (head,)
            taken[head].add(slot)
            load[head] += 1
        units.append(staffing.Unit(id=group.pk, slots=(slot,), kind=staffing.INTERNAL,
                                   needed=1, assigned=assigned, label=group.name))
    result = staffing.assign_tutors(units, tutors, seed=arrangement.seed % (2**31),
                                    time_limit=10)
    reasons = {u.unit_id: u.reason for u in result.unstaffed}
    for group in groups:
        chosen = result.assignments.get(group.pk, ())
        group.tutor_id = chosen[0] if chosen else None
        group.unstaffed_reason = "" if chosen else reasons.get(group.pk, HOMEWORK_NO_TUTOR)[:200]
    HomeworkGroup.objects.bulk_update(groups, ["tutor", "unstaffed_reason"], batch_size=500)
    return {"groups": len(groups), "staffed": sum(1 for g in groups if g.tutor_id),
            "status": result.status}
