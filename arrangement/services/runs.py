"""Writes of the arrangement: start and compute a run, adjust a draft, publish, and after.

A run is computed by a Celery task (:func:`arrangement_compute`), adjusted by hand while it is a
draft, and published in one transaction (:func:`arrangement_publish`). Its status moves only
along :data:`TRANSITIONS`; every change after the solver is an :class:`ArrangementChange` row.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor, require
from afterschool.models import Role, Staff, StudentGuardian, Term
from afterschool.services import notice_create
from enrollment.models import Application

from .. import solver, staffing
from ..exceptions import (
    ALREADY_IN_COURSE,
    ARRANGEMENT_NOT_EDITABLE,
    ARRANGEMENT_NOT_READY,
    ARRANGEMENT_OTHER_SCHOOL,
    ARRANGEMENT_RUNNING,
    ARRANGEMENT_TRANSITION_NOT_ALLOWED,
    FILL_ONLY_PUBLISHED,
    HOMEROOM_MODE_BACKWARDS,
    HOMEROOM_MODE_OUTSIDE_TERM,
    HOMEROOM_MODE_OVERLAP,
    HOMEWORK_NO_PERIOD,
    HOMEWORK_NO_TUTOR,
    NOT_A_PREFERENCE,
    NOT_ELIGIBLE_DAYS,
    NOT_ELIGIBLE_GRADE,
    PLACEMENT_GONE,
    REMOVED_REASON,
    SAME_SECTION,
    SECTION_FULL,
    SECTION_NOT_IN_RUN,
    SLOT_CLASH,
    STUDENT_NOT_IN_RUN,
    SWAP_SAME,
    TOO_MANY_COURSES,
    ArrangementError,
    HomeroomModeInvalid,
    InvalidArrangementTransition,
    NeedsConfirmation,
    NotEligible,
    SectionFull,
)
from ..instances import (
    GroupPlan,
    HomeworkChild,
    attending_weekdays,
    explanations,
    group_homework,
    term_instance,
)
from ..models import (
    Arrangement,
    ArrangementChange,
    HomeroomModePeriod,
    HomeworkGroup,
    HomeworkGroupMember,
    Placement,
    Section,
    UnplacedEntry,
)
from ..selectors.arrangement import (
    active_placements,
    arrangement_applications,
    arrangement_sections,
    homework_period,
)
from ..solver.solution import rank_word

logger = logging.getLogger(__name__)

A = Arrangement.Status
SYSTEM = "system"
MECHANISM_SOLVERS = {Arrangement.Mechanism.EXACT: solver.solve,
                     Arrangement.Mechanism.LOTTERY: solver.solve_serial_dictatorship}
# A run still "computing" after this long lost its worker: a new run may start.
STALE_RUN = dt.timedelta(minutes=20)

# The run's life: which moves exist and who makes them.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (A.DRAFT, A.PUBLISHED): (Role.COORDINATOR,),
    (A.PUBLISHED, A.SUPERSEDED): (SYSTEM,),
    (A.DRAFT, A.FAILED): (SYSTEM,),
}


def _transition(arrangement: Arrangement, to_status: str, *, actor: Actor | None,
                comment: str = "") -> Arrangement:
    roles = TRANSITIONS.get((arrangement.status, to_status))
    allowed = roles is not None and (
        (actor is None and SYSTEM in roles) or (actor is not None and actor.has(*roles)))
    if not allowed:
        raise InvalidArrangementTransition(ARRANGEMENT_TRANSITION_NOT_ALLOWED.format(
            current=arrangement.get_status_display(), target=A(to_status).label))
    from_label = arrangement.get_status_display()
    arrangement.status = to_status
    fields = ["status"]
    if to_status == A.PUBLISHED:
        arrangement.published_at = timezone.now()
        arrangement.published_by = actor.user
        fields += ["published_at", "published_by"]
    arrangement.full_clean()
    arrangement.save(update_fields=fields)
    ArrangementChange.objects.create(
        arrangement=arrangement, kind=ArrangementChange.Kind.STATUS,
        actor=actor.user if actor is not None else None, from_text=from_label,
        to_text=arrangement.get_status_display(), comment=comment)
    return arrangement


def _require_school(actor: Actor, term: Term) -> None:
    require(actor, Role.COORDINATOR)
    if actor.school is None or term.school_id != actor.school.pk:
        raise ArrangementError(ARRANGEMENT_OTHER_SCHOOL)


def _lock(arrangement: Arrangement) -> Arrangement:
    return Arrangement.objects.select_for_update().select_related("term").get(pk=arrangement.pk)


# ------------------------------------------------------------------ start and compute


@transaction.atomic
def arrangement_start(*, term: Term, actor: Actor, mechanism: str = Arrangement.Mechanism.EXACT,
                      seed: int | None = None) -> Arrangement:
    """A new draft run of the term, computed by a task after commit; never touches another."""
    _require_school(actor, term)
    Term.objects.select_for_update().filter(pk=term.pk).first()  # one new version at a time
    running = Arrangement.objects.filter(term=term, status=A.DRAFT, finished_at__isnull=True,
                                         created_at__gt=timezone.now() - STALE_RUN)
    if running.exists():
        raise ArrangementError(ARRANGEMENT_RUNNING)
    version = (Arrangement.objects.filter(term=term).aggregate(v=Max("version"))["v"] or 0) + 1
    arrangement = Arrangement(
        term=term, version=version, mechanism=mechanism,
        seed=secrets.randbelow(10**8) if seed is None else seed,
        created_by=actor.user, progress="排队等待计算…")
    arrangement.full_clean()
    arrangement.save()

    from ..tasks import arrangement_compute_task

    transaction.on_commit(lambda: arrangement_compute_task.delay(arrangement.pk))
    return arrangement


def _progress(arrangement: Arrangement, text: str) -> None:
    # Committed at once, outside any transaction, so the polling page sees it.
    arrangement.progress = text
    Arrangement.objects.filter(pk=arrangement.pk).update(progress=text)


def arrangement_compute(*, arrangement: Arrangement) -> Arrangement:
    """Place the run's students with the solver and group them for homework tutoring.

    Not one transaction on purpose: progress is committed as it goes, so the coordinator's
    page can show it; the result is written in one transaction at the end. Safe to run twice:
    a run that already finished is returned as it is. Data the solver refuses fails the run
    with the solver's message; anything else is the task's to record.
    """
    with transaction.atomic():
        arrangement = _lock(arrangement)
        if arrangement.finished_at is not None or arrangement.status != A.DRAFT:
            return arrangement
        arrangement.started_at = timezone.now()
        arrangement.progress = "正在读取意向书与教学班…"
        arrangement.save(update_fields=["started_at", "progress"])
    term = arrangement.term
    applications = list(arrangement_applications(term))
    instance = term_instance(term, seed=arrangement.seed, applications=applications)
    sections = sum(len(c["sections"]) for c in instance["courses"])
    _progress(arrangement, f"正在分配：{len(applications)} 名学生，{sections} 个教学班…")
    try:
        parsed = solver.parse_instance(instance)
    except solver.InstanceError as exc:
        return arrangement_fail(arrangement=arrangement, message=f"数据有误，无法计算：{exc}")
    solution = MECHANISM_SOLVERS[arrangement.mechanism](parsed)
    _progress(arrangement, "正在编排作业辅导组与辅导教师…")
    placed_text, unplaced_text = explanations(parsed, solution)
    return _arrangement_store(arrangement=arrangement, applications=applications,
                              solution=solution.to_dict(), placed_text=placed_text,
                              unplaced_text=unplaced_text)


@transaction.atomic
def arrangement_fail(*, arrangement: Arrangement, message: str) -> Arrangement:
    arrangement = _lock(arrangement)
    if arrangement.status != A.DRAFT:
        return arrangement
    arrangement.error = message
    arrangement.progress = "计算失败"
    arrangement.finished_at = timezone.now()
    arrangement.save(update_fields=["error", "progress", "finished_at"])
    return _transition(arrangement, A.FAILED, actor=None, comment=message)


@transaction.atomic
def _arrangement_store(*, arrangement: Arrangement, applications: list[Application],
                       solution: dict, placed_text: dict, unplaced_text: dict) -> Arrangement:
    arrangement = _lock(arrangement)
    if arrangement.finished_at is not None or arrangement.status != A.DRAFT:
        return arrangement  # a second delivery of the task finished first
    arrangement.placements.all().delete()
    arrangement.unplaced.all().delete()
    arrangement.homework_groups.all().delete()
    app_of = {str(a.student_id): a for a in applications}
    rank_of = {(a.pk, p.course_id): p.rank for a in applications for p in a.preferences.all()}
    placements = []
    for row in solution["placements"]:
        app = app_of[row["student"]]
        course_id = int(row["course"])
        placements.append(Placement(
            arrangement=arrangement, student_id=app.student_id, application=app,
            course_id=course_id, section_id=int(row["section"]),
            rank=rank_of.get((app.pk, course_id), row["rank"]),
            note=placed_text.get(row["student"], "")[:300]))
    Placement.objects.bulk_create(placements, batch_size=500)
    UnplacedEntry.objects.bulk_create([
        UnplacedEntry(arrangement=arrangement, student_id=app_of[row["student"]].student_id,
                      application=app_of[row["student"]],
                      reason=unplaced_text.get(row["student"], row["reason"])[:300])
        for row in solution["unplaced"]], batch_size=500)
    staffing_note = _homework_groups_build(arrangement=arrangement, applications=applications)

    stats = dict(solution.get("stats", {}))
    stats.setdefault("mechanism", arrangement.mechanism)
    stats["homework"] = staffing_note
    arrangement.stats = stats
    arrangement.finished_at = timezone.now()
    arrangement.progress = "已完成"
    arrangement.full_clean()
    arrangement.save(update_fields=["stats", "finished_at", "progress"])
    return arrangement


# ------------------------------------------------------------------ homework tutoring groups


def _group_name(plan: GroupPlan, homerooms: dict) -> str:
    rooms = [homerooms[r] for r in plan.homerooms]
    name = rooms[0].grade.name + "、".join(str(r.number) for r in rooms) + "班"
    if plan.parts > 1:
        name += f"（第{plan.part}组）"
    return name


def _homework_groups_build(*, arrangement: Arrangement,
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


# ------------------------------------------------------------------ publish


@transaction.atomic
def arrangement_publish(*, arrangement: Arrangement, actor: Actor) -> Arrangement:
    """Publish a computed draft: all of it, or nothing.

    The term's previously published run is superseded, the run's school-approved applications
    become ``placed`` (enrollment's service, without its generic notice), and each guardian is
    told their child's result with the reason, each tutor that their rosters are out.
    """
    _require_school(actor, arrangement.term)
    arrangement = _lock(arrangement)
    if not arrangement.is_editable:
        raise InvalidArrangementTransition(ARRANGEMENT_NOT_READY)
    for previous in (Arrangement.objects.select_for_update()
                     .filter(term=arrangement.term, status=A.PUBLISHED)):
        _transition(previous, A.SUPERSEDED, actor=None,
                    comment=f"已由第{arrangement.version}版替代")
    _transition(arrangement, A.PUBLISHED, actor=actor)

    from enrollment.services import applications_place

    app_ids = set(arrangement.placements.values_list("application_id", flat=True))
    app_ids |= set(arrangement.unplaced.values_list("application_id", flat=True))
    approved = list(Application.objects.filter(pk__in=app_ids,
                                               status=Application.Status.SCHOOL_APPROVED)
                    .values_list("pk", flat=True))
    applications_place(application_ids=approved, actor=actor,
                       comment=f"统筹安排第{arrangement.version}版发布", notify=False)
    _notify_guardians(arrangement, student_ids=None)
    _notify_tutors(arrangement)
    return arrangement


def _explanations(arrangement: Arrangement, student_ids: Iterable[int] | None) -> dict[int, str]:
    placements = arrangement.placements.select_related("course")
    unplaced = arrangement.unplaced.all()
    if student_ids is not None:
        placements = placements.filter(student_id__in=student_ids)
        unplaced = unplaced.filter(student_id__in=student_ids)
    text: dict[int, list[str]] = defaultdict(list)
    for p in active_placements(placements):
        text[p.student_id].append(p.note or f"已安排{p.course.name}")
    for u in unplaced:
        text[u.student_id].append(u.reason)
    return {sid: next(iter(dict.fromkeys(lines))) for sid, lines in text.items()}


def _notify_guardians(arrangement: Arrangement, *, student_ids: Iterable[int] | None,
                      title: str = "{student}的课后服务安排已发布") -> int:
    explanations = _explanations(arrangement, student_ids)
    mechanism = arrangement.get_mechanism_display()
    links = (StudentGuardian.objects
             .filter(student_id__in=list(explanations), guardian__user__isnull=False)
             .select_related("guardian__user", "student").order_by("pk"))
    url = reverse("courses:arrangement_my_schedule")
    sent = 0
    for link in links:
        notice_create(user=link.guardian.user, school=arrangement.term.school,
                      title=title.format(student=link.student.name)[:100],
                      body=f"{explanations[link.student_id]}。（分配方式：{mechanism}）",
                      url=url, email=link.guardian.email)
        sent += 1
    return sent


def _notify_tutors(arrangement: Arrangement) -> int:
    section_ids = set(arrangement.placements.values_list("section_id", flat=True))
    tutors = (Staff.objects.filter(sections__in=section_ids, user__isnull=False).distinct()
              .select_related("user"))
    url = reverse("courses:arrangement_my_sections")
    for tutor in tutors:
        notice_create(user=tutor.user, school=arrangement.term.school,
                      title="课后服务教学班名单已发布", body="请查看您的教学班及学生名单。",
                      url=url)
    return len(tutors)


# ------------------------------------------------------------------ manual adjustment


def _editable(arrangement: Arrangement, actor: Actor) -> Arrangement:
    _require_school(actor, arrangement.term)
    arrangement = _lock(arrangement)
    if not arrangement.is_editable:
        raise ArrangementError(ARRANGEMENT_NOT_EDITABLE)
    return arrangement


def _lock_section(arrangement: Arrangement, section_id: int) -> Section:
    section = (arrangement_sections(arrangement.term).select_for_update(of=("self",))
               .filter(pk=section_id).first())
    if section is None:
        raise ArrangementError(SECTION_NOT_IN_RUN)
    return section


def _seats_taken(arrangement: Arrangement, section: Section, *, excluding=()) -> int:
    return (active_placements(arrangement.placements.filter(section=section))
            .exclude(pk__in=[p.pk for p in excluding]).count())


def _check_fit(arrangement: Arrangement, application: Application, section: Section, *,
               confirm: bool, replacing: Placement | None = None) -> int | None:
    """Refuse a seat the student cannot take; return the preference rank (None: not one)."""
    course = section.course
    grade = application.student.homeroom.grade.number
    if grade not in {g.number for g in course.grades.all()}:
        raise NotEligible(NOT_ELIGIBLE_GRADE.format(course=course.name,
                                                        grade=application.student.homeroom.grade))
    days = {slot.weekday for slot in section.slots.all()}
    if not days <= set(attending_weekdays(application, application.term)):
        raise NotEligible(NOT_ELIGIBLE_DAYS.format(section=section))
    others = list(active_placements(
        arrangement.placements.filter(student_id=application.student_id))
        .exclude(pk=replacing.pk if replacing else None)
        .select_related("course").prefetch_related("section__slots"))
    if any(p.course_id == course.pk for p in others):
        raise NotEligible(ALREADY_IN_COURSE.format(course=course.name))
    if len(others) >= arrangement.term.max_courses_per_student:
        raise NotEligible(TOO_MANY_COURSES.format(k=arrangement.term.max_courses_per_student))
    mine = {(s.weekday, s.period_id) for s in section.slots.all()}
    for other in others:
        if mine & {(s.weekday, s.period_id) for s in other.section.slots.all()}:
            raise NotEligible(SLOT_CLASH.format(course=other.course.name))
    rank = next((p.rank for p in application.preferences.all() if p.course_id == course.pk), None)
    if rank is None and not confirm:
        raise NeedsConfirmation(NOT_A_PREFERENCE.format(course=course.name))
    return rank


def _check_seat(arrangement: Arrangement, section: Section, *, excluding=()) -> None:
    if _seats_taken(arrangement, section, excluding=excluding) >= section.capacity:
        raise SectionFull(SECTION_FULL.format(section=section))


def _note_for(rank: int | None, course_name: str, who: str = "课后服务办公室") -> str:
    if rank is None:
        return f"经{who}调整，安排{course_name}"
    return f"经{who}调整，安排{rank_word(rank)}志愿{course_name}"


def _log(arrangement, kind, actor, *, student=None, section=None, from_text="", to_text="",
         comment=""):
    change = ArrangementChange(arrangement=arrangement, kind=kind,
                               actor=actor.user if actor is not None else None,
                               student=student, section=section, from_text=from_text[:200],
                               to_text=to_text[:200], comment=comment)
    change.full_clean()
    change.save()
    return change


def _locked_placement(arrangement: Arrangement, placement: Placement) -> Placement:
    found = (active_placements(arrangement.placements.all()).select_for_update(of=("self",))
             .select_related("student__homeroom__grade", "application__term", "course",
                             "section__course")
             .prefetch_related("application__preferences").filter(pk=placement.pk).first())
    if found is None:
        raise ArrangementError(PLACEMENT_GONE)
    return found


@transaction.atomic
def placement_move(*, arrangement: Arrangement, placement: Placement, section: Section,
                   actor: Actor, comment: str = "", confirm: bool = False) -> Placement:
    """Move a placed student to another section (of the same or another course)."""
    arrangement = _editable(arrangement, actor)
    placement = _locked_placement(arrangement, placement)
    target = _lock_section(arrangement, section.pk)
    if target.pk == placement.section_id:
        raise ArrangementError(SAME_SECTION)
    rank = _check_fit(arrangement, placement.application, target, confirm=confirm,
                      replacing=placement)
    _check_seat(arrangement, target)
    before = str(placement.section)
    placement.course = target.course
    placement.section = target
    placement.rank = rank
    placement.note = _note_for(rank, target.course.name)
    placement.full_clean()
    placement.save(update_fields=["course", "section", "rank", "note"])
    _log(arrangement, ArrangementChange.Kind.MOVE, actor, student=placement.student,
         section=target, from_text=before, to_text=str(target), comment=comment)
    return placement


@transaction.atomic
def placement_swap(*, arrangement: Arrangement, first: Placement, second: Placement,
                   actor: Actor, comment: str = "", confirm: bool = False) -> tuple:
    """Two students trade seats; capacities are unchanged, eligibility is checked both ways."""
    arrangement = _editable(arrangement, actor)
    a = _locked_placement(arrangement, first)
    b = _locked_placement(arrangement, second)
    if a.student_id == b.student_id or a.section_id == b.section_id:
        raise ArrangementError(SWAP_SAME)
    sa = _lock_section(arrangement, a.section_id)
    sb = _lock_section(arrangement, b.section_id)
    rank_a = _check_fit(arrangement, a.application, sb, confirm=confirm, replacing=a)
    rank_b = _check_fit(arrangement, b.application, sa, confirm=confirm, replacing=b)
    # Through a free course id first: (arrangement, student, course) is unique at every step.
    a.section, a.course, a.rank, a.note = sb, sb.course, rank_a, _note_for(rank_a, sb.course.name)
    b.section, b.course, b.rank, b.note = sa, sa.course, rank_b, _note_for(rank_b, sa.course.name)
    for p in (a, b):
        p.full_clean(validate_unique=False)
        p.save(update_fields=["course", "section", "rank", "note"])
    _log(arrangement, ArrangementChange.Kind.SWAP, actor, student=a.student, section=sb,
         from_text=f"{a.student.name}：{sa}；{b.student.name}：{sb}",
         to_text=f"{a.student.name}：{sb}；{b.student.name}：{sa}", comment=comment)
    return a, b


@transaction.atomic
def placement_create(*, arrangement: Arrangement, application: Application, section: Section,
                     actor: Actor, comment: str = "", confirm: bool = False) -> Placement:
    """Place a student of the run by hand (an unplaced one, or a further course when k > 1)."""
    arrangement = _editable(arrangement, actor)
    application = (Application.objects.select_related("student__homeroom__grade", "term")
                   .prefetch_related("preferences").get(pk=application.pk))
    in_run = (arrangement.unplaced.filter(application=application).exists()
              or arrangement.placements.filter(application=application).exists())
    if not in_run:
        raise ArrangementError(STUDENT_NOT_IN_RUN)
    target = _lock_section(arrangement, section.pk)
    rank = _check_fit(arrangement, application, target, confirm=confirm)
    _check_seat(arrangement, target)
    placement = Placement(arrangement=arrangement, student=application.student,
                          application=application, course=target.course, section=target,
                          rank=rank, note=_note_for(rank, target.course.name))
    placement.full_clean()
    placement.save()
    arrangement.unplaced.filter(application=application).delete()
    _log(arrangement, ArrangementChange.Kind.PLACE, actor, student=application.student,
         section=target, from_text="未安排", to_text=str(target), comment=comment)
    return placement


@transaction.atomic
def placement_remove(*, arrangement: Arrangement, placement: Placement, actor: Actor,
                     comment: str = "") -> None:
    """Take a student out of a section; with no course left they are listed as unplaced."""
    arrangement = _editable(arrangement, actor)
    placement = _locked_placement(arrangement, placement)
    before = str(placement.section)
    student, application = placement.student, placement.application
    placement.delete()
    if not arrangement.placements.filter(student=student).exists():
        UnplacedEntry.objects.get_or_create(
            arrangement=arrangement, student=student,
            defaults={"application": application, "reason": REMOVED_REASON})
    _log(arrangement, ArrangementChange.Kind.REMOVE, actor, student=student,
         section=placement.section, from_text=before, to_text="未安排", comment=comment)


@transaction.atomic
def section_change_tutor(*, arrangement: Arrangement, section: Section, tutor: Staff,
                         actor: Actor, replacing: Staff | None = None,
                         comment: str = "") -> Section:
    """Put ``tutor`` on a section while adjusting a draft, in place of ``replacing`` (or of
    all its tutors), with the catalog's checks (school, kind, no clash at the same time).

    Tutors belong to the section in the catalog, so the change shows in every run of the term;
    it is recorded in this run's log because it was made while arranging it.
    """
    from .catalog import section_set_tutors

    arrangement = _editable(arrangement, actor)
    section = _lock_section(arrangement, section.pk)
    current = list(section.tutors.all())
    before = "、".join(t.name for t in current) or "未配教师"
    kept = [t for t in current if replacing is not None and t.pk != replacing.pk]
    section = section_set_tutors(actor=actor, section=section, tutors=[*kept, tutor])
    after = "、".join(t.name for t in section.tutors.all())
    _log(arrangement, ArrangementChange.Kind.TUTOR, actor, section=section,
         from_text=f"{section}：{before}", to_text=f"{section}：{after}", comment=comment)
    return section


# ------------------------------------------------------------------ after publishing


@transaction.atomic
def arrangement_release_withdrawn(*, application: Application) -> int:
    """A withdrawal frees the child's seats: ended from ``withdrawn_on`` in the published run,
    dropped from drafts. Called from the ``application_withdrawn`` receiver; safe twice."""
    application = Application.objects.select_related("student").get(pk=application.pk)
    if application.status != Application.Status.WITHDRAWN:
        return 0
    ended = 0
    runs = Arrangement.objects.select_for_update().filter(
        term_id=application.term_id, status__in=[A.DRAFT, A.PUBLISHED])
    for run in runs:
        placements = list(active_placements(run.placements.filter(application=application),
                                            application.withdrawn_on)
                          .select_related("section__course"))
        when = application.withdrawn_on
        for p in placements:
            if run.status == A.PUBLISHED:
                p.ended_on = when
                p.save(update_fields=["ended_on"])
            else:
                p.delete()
            _log(run, ArrangementChange.Kind.WITHDRAW, None, student=application.student,
                 section=p.section, from_text=str(p.section),
                 to_text=f"自{when:%Y-%m-%d}起退出" if when else "退出",
                 comment=application.withdraw_reason)
            ended += 1
        run.unplaced.filter(application=application).delete()
    return ended


def _lottery_order(seed: int, student_ids: list[int]) -> dict[int, int]:
    ids = sorted(student_ids)
    random.Random(seed).shuffle(ids)
    return {sid: i for i, sid in enumerate(ids)}


@transaction.atomic
def arrangement_fill_freed_seats(*, arrangement: Arrangement, actor: Actor,
                                 comment: str = "") -> list[Placement]:
    """Offer freed seats of the published run to its unplaced students, without a rerun.

    Deterministic: first everyone whose first choice has a seat that fits, then second
    choices, and so on; among those wanting the same rank, the run's seed lottery decides.
    The placed students' guardians are told.
    """
    _require_school(actor, arrangement.term)
    arrangement = _lock(arrangement)
    if arrangement.status != A.PUBLISHED:
        raise ArrangementError(FILL_ONLY_PUBLISHED)
    sections = list(arrangement_sections(arrangement.term).select_for_update(of=("self",)))
    taken = defaultdict(int)
    for section_id in active_placements(arrangement.placements.all()).values_list(
            "section_id", flat=True):
        taken[section_id] += 1
    free = {s.pk: s.capacity - taken[s.pk] for s in sections}
    by_course = defaultdict(list)
    for s in sections:
        by_course[s.course_id].append(s)
    entries = list(arrangement.unplaced
                   .filter(application__status__in=[Application.Status.PLACED,
                                                    Application.Status.SCHOOL_APPROVED])
                   .select_related("student__homeroom__grade", "application__term")
                   .prefetch_related("application__preferences"))
    order = _lottery_order(arrangement.seed, [en.student_id for en in entries])
    entries.sort(key=lambda en: order[en.student_id])
    placed: list[Placement] = []
    done: set[int] = set()
    max_rank = max((p.rank for en in entries for p in en.application.preferences.all()),
                   default=0)
    for rank in range(1, max_rank + 1):
        for entry in entries:
            if entry.student_id in done:
                continue
            pref = next((p for p in entry.application.preferences.all() if p.rank == rank), None)
            if pref is None:
                continue
            for section in sorted(by_course.get(pref.course_id, []),
                                  key=lambda s: (-free[s.pk], s.pk)):
                if free[section.pk] <= 0:
                    continue
                try:
                    _check_fit(arrangement, entry.application, section, confirm=False)
                except ArrangementError:
                    continue
                placement = Placement(
                    arrangement=arrangement, student=entry.student,
                    application=entry.application, course=section.course, section=section,
                    rank=rank, note=f"有同学退出后递补，已安排{rank_word(rank)}志愿"
                                    f"{section.course.name}")
                placement.full_clean()
                placement.save()
                free[section.pk] -= 1
                done.add(entry.student_id)
                placed.append(placement)
                _log(arrangement, ArrangementChange.Kind.FILL, actor, student=entry.student,
                     section=section, from_text="未安排", to_text=str(section),
                     comment=comment or f"递补{rank_word(rank)}志愿")
                break
    arrangement.unplaced.filter(student_id__in=done).delete()
    if done:
        _notify_guardians(arrangement, student_ids=done,
                          title="{student}已递补安排课后服务课程")
    return placed


# ------------------------------------------------------------------ homeroom mode


@transaction.atomic
def homeroom_mode_start(*, term: Term, actor: Actor, start_date: dt.date, end_date: dt.date,
                        reason: str) -> HomeroomModePeriod:
    """Suspend mixed clubs for a date range: each homeroom becomes its own group.

    The arrangement is untouched, so the school returns to it when the range ends.
    """
    _require_school(actor, term)
    Term.objects.select_for_update().filter(pk=term.pk).first()  # overlapping ranges race
    if start_date > end_date:
        raise HomeroomModeInvalid(HOMEROOM_MODE_BACKWARDS)
    period = HomeroomModePeriod(term=term, start_date=start_date, end_date=end_date,
                                reason=reason.strip(), created_by=actor.user)
    period.full_clean()
    if not (term.start_date <= start_date and end_date <= term.end_date):
        raise HomeroomModeInvalid(HOMEROOM_MODE_OUTSIDE_TERM)
    overlapping = HomeroomModePeriod.objects.filter(term=term, start_date__lte=end_date,
                                                    end_date__gte=start_date).first()
    if overlapping is not None:
        raise HomeroomModeInvalid(HOMEROOM_MODE_OVERLAP.format(period=overlapping))
    period.save()
    return period


@transaction.atomic
def homeroom_mode_end(*, period: HomeroomModePeriod, actor: Actor,
                      on: dt.date | None = None) -> HomeroomModePeriod | None:
    """Back to normal from ``on`` (today by default): the range is cut short, or dropped if it
    had not begun. Returns the shortened range, or None when it was removed."""
    _require_school(actor, period.term)
    period = HomeroomModePeriod.objects.select_for_update().get(pk=period.pk)
    on = on or timezone.localdate()
    if on <= period.start_date:
        period.delete()
        return None
    if on <= period.end_date:
        period.end_date = on - dt.timedelta(days=1)
        period.full_clean()
        period.save(update_fields=["end_date"])
    return period
