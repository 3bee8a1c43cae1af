"""Homework tutoring groups of a run: every attending child each day, and a tutor for each."""

from __future__ import annotations

from collections import Counter, defaultdict

from afterschool.models import Homeroom, Role, RoleAssignment, Staff
from courses import staffing
from courses.models import Section
from enrollment.models import Application

from ..exceptions import HOMEWORK_NO_PERIOD, HOMEWORK_NO_TUTOR
from ..exchange import attending_weekdays
from ..grouping import GroupPlan, HomeworkChild, group_homework
from ..models import Arrangement, HomeworkGroup, HomeworkGroupMember
from ..selectors import homework_period


def _group_name(plan: GroupPlan, homerooms: dict) -> str:
    rooms = [homerooms[r] for r in plan.week_homerooms]
    name = rooms[0].grade.name + "、".join(str(r.number) for r in rooms) + "班"
    if plan.parts > 1:
        name += f"（第{plan.part}组）"
    return name


def _week_key(plan: GroupPlan) -> tuple:
    return (plan.week_homerooms, plan.part)


def homework_groups_build(*, arrangement: Arrangement,
                          applications: list[Application]) -> dict:
    """Group every attending child for the week, staff each day's group; a short summary.

    A week group is the same children (those who come that day) in the same room every day;
    only its tutor may change from one day to the next.
    """
    term = arrangement.term
    children, homerooms = [], {}
    for app in applications:
        student = app.student
        homerooms[student.homeroom_id] = student.homeroom
        children.append(HomeworkChild(id=student.pk, grade=student.homeroom.grade.number,
                                      homeroom=student.homeroom_id,
                                      days=frozenset(attending_weekdays(app, term))))
    plans = group_homework(children)
    period = homework_period(term)
    rooms = _rooms(term, plans, {c.id: c.homeroom for c in children}, homerooms, period)
    groups = HomeworkGroup.objects.bulk_create([
        HomeworkGroup(arrangement=arrangement, weekday=p.weekday, name=_group_name(p, homerooms),
                      room=rooms[_week_key(p)])
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
    summary = _homework_groups_staff(arrangement=arrangement, groups=groups, plans=plans,
                                     homerooms=homerooms, rooms=rooms, period=period)
    summary["week_groups"] = len(rooms)
    summary["without_room"] = sum(1 for room in rooms.values() if not room)
    return summary


def _rooms(term, plans: list[GroupPlan], homeroom_of: dict, homerooms: dict,
           period) -> dict[tuple, str]:
    """Each week group's room, the same every day.

    A group meets in its homeroom's classroom (merged homerooms: the classroom of the one
    with the most children, so the fewest move). The further parts of a large homeroom take a
    classroom left free — a homeroom of the same grade merged into another group or without
    children in the service first — then a venue of the catalog that no section holds at the
    homework period on the group's days; none left, the room stays unnamed for the office.
    """
    members: dict[tuple, set] = defaultdict(set)
    days: dict[tuple, set] = defaultdict(set)
    for plan in plans:
        members[_week_key(plan)].update(plan.students)
        days[_week_key(plan)].add(plan.weekday)
    rooms: dict[tuple, str] = {}
    used_homerooms = set()
    for key in sorted(members, key=lambda k: (homerooms[k[0][0]].grade.number, k)):
        week_homerooms, part = key
        if part > 1:
            continue
        sizes = Counter(homeroom_of[s] for s in members[key])
        main = min(week_homerooms, key=lambda r: (-sizes[r], homerooms[r].number))
        rooms[key] = classroom_name(homerooms[main])
        used_homerooms.add(main)
    taken = set(rooms.values())
    extra = [k for k in sorted(members, key=lambda k: (homerooms[k[0][0]].grade.number, k))
             if k[1] > 1]
    if not extra:
        return rooms
    free_classrooms = [h for h in Homeroom.objects.filter(school_id=term.school_id)
                       .select_related("grade").order_by("grade__number", "number")
                       if h.pk not in used_homerooms and classroom_name(h) not in taken]
    venues_busy: dict[str, set[int]] = defaultdict(set)
    venues: list[str] = []
    for section in (Section.objects.filter(course__term=term, course__is_active=True)
                    .exclude(venue="").prefetch_related("slots__period").order_by("venue")):
        venue = section.venue.strip()
        if venue not in venues:
            venues.append(venue)
        for slot in section.slots.all():
            if period is not None and slot.period.number == period.number:
                venues_busy[venue.casefold()].add(slot.weekday)
    for key in extra:
        grade = homerooms[key[0][0]].grade_id
        free_classrooms.sort(key=lambda h: (h.grade_id != grade, h.grade.number, h.number))
        if free_classrooms:
            rooms[key] = classroom_name(free_classrooms.pop(0))
        else:
            rooms[key] = next((v for v in venues if v not in taken
                               and not venues_busy[v.casefold()] & days[key]), "")
        taken.add(rooms[key])
    return rooms


def classroom_name(homeroom: Homeroom) -> str:
    return f"{homeroom.name}教室"


def _teaching_staff(term) -> list[Staff]:
    """Who may tutor a homework group: the school's own teachers.

    Never an external instructor, the principal, or an office member (课后服务办公室) who
    teaches nothing; an office member who leads a homeroom or teaches a section of the term
    is a teacher too.
    """
    leaders = defaultdict(set)
    for user_id, role in RoleAssignment.objects.filter(
            school_id=term.school_id, role__in=[Role.PRINCIPAL, Role.COORDINATOR]
    ).values_list("user_id", "role"):
        leaders[role].add(user_id)
    teaching = set(Homeroom.objects.filter(school_id=term.school_id, head_teacher__isnull=False)
                   .values_list("head_teacher_id", flat=True))
    teaching |= set(Section.tutors.through.objects.filter(section__course__term=term)
                    .values_list("staff_id", flat=True))
    staff = Staff.objects.filter(school_id=term.school_id, is_active=True, is_external=False)
    return [s for s in staff
            if s.user_id not in leaders[Role.PRINCIPAL]
            and (s.user_id not in leaders[Role.COORDINATOR] or s.pk in teaching)]


def _homework_groups_staff(*, arrangement, groups, plans, homerooms, rooms, period) -> dict:
    if not groups:
        return {"groups": 0, "staffed": 0}
    if period is None:
        HomeworkGroup.objects.filter(pk__in=[g.pk for g in groups]).update(
            unstaffed_reason=HOMEWORK_NO_PERIOD)
        return {"groups": len(groups), "staffed": 0}
    term = arrangement.term
    staff = _teaching_staff(term)
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
    # A group is first offered to the 班主任 of the homeroom whose classroom it meets in, when
    # free that day; the further parts of a large homeroom go to other teachers.
    classroom_of = {classroom_name(h): h for h in homerooms.values()}
    load = {t.id: t.base_load for t in tutors}
    taken = defaultdict(set)
    units = []
    for group, plan in zip(groups, plans, strict=True):
        slot = (group.weekday, period.number)
        assigned = ()
        home = classroom_of.get(rooms[_week_key(plan)])
        head = home.head_teacher_id if home and home.pk in plan.week_homerooms else None
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
