"""Adjusting a computed draft by hand: move, swap, place, remove, change a section's tutor.

Each change is checked like the solver's placements (grade, days, one seat per course, the
course limit, no clash, capacity) and logged as an :class:`~arrangement.models.ArrangementChange`.
"""

from __future__ import annotations

from django.db import transaction

from afterschool.access import Actor
from afterschool.models import Staff
from courses.models import Section
from courses.services import section_set_tutors
from enrollment.models import Application

from ..exceptions import (
    ALREADY_IN_COURSE,
    ARRANGEMENT_NOT_EDITABLE,
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
    NeedsConfirmation,
    NotEligible,
    SectionFull,
)
from ..exchange import attending_weekdays
from ..models import Arrangement, ArrangementChange, Placement, UnplacedEntry
from ..selectors import active_placements, run_sections
from ..solver.solution import rank_word
from .common import lock_run, log_change, require_school


def _editable(arrangement: Arrangement, actor: Actor) -> Arrangement:
    require_school(actor, arrangement.term)
    arrangement = lock_run(arrangement)
    if not arrangement.is_editable:
        raise ArrangementError(ARRANGEMENT_NOT_EDITABLE)
    return arrangement


def _changed_by_hand(arrangement: Arrangement) -> None:
    """The solver's proof of optimality no longer describes the run (the page says so)."""
    if not arrangement.stats.get("changed_by_hand"):
        arrangement.stats = {**arrangement.stats, "changed_by_hand": True}
        arrangement.save(update_fields=["stats"])


def _lock_section(arrangement: Arrangement, section_id: int) -> Section:
    section = (run_sections(arrangement).select_for_update(of=("self",))
               .filter(pk=section_id).first())
    if section is None:
        raise ArrangementError(SECTION_NOT_IN_RUN)
    return section


def _seats_taken(arrangement: Arrangement, section: Section, *, excluding=()) -> int:
    return (active_placements(arrangement.placements.filter(section=section))
            .exclude(pk__in=[p.pk for p in excluding]).count())


def check_fit(arrangement: Arrangement, application: Application, section: Section, *,
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
    rank = check_fit(arrangement, placement.application, target, confirm=confirm,
                      replacing=placement)
    _check_seat(arrangement, target)
    before = str(placement.section)
    placement.course = target.course
    placement.section = target
    placement.rank = rank
    placement.note = _note_for(rank, target.course.name)
    placement.by_hand = True
    placement.full_clean()
    placement.save(update_fields=["course", "section", "rank", "note", "by_hand"])
    _changed_by_hand(arrangement)
    log_change(arrangement, ArrangementChange.Kind.MOVE, actor, student=placement.student,
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
    rank_a = check_fit(arrangement, a.application, sb, confirm=confirm, replacing=a)
    rank_b = check_fit(arrangement, b.application, sa, confirm=confirm, replacing=b)
    # Through a free course id first: (arrangement, student, course) is unique at every step.
    a.section, a.course, a.rank, a.note = sb, sb.course, rank_a, _note_for(rank_a, sb.course.name)
    b.section, b.course, b.rank, b.note = sa, sa.course, rank_b, _note_for(rank_b, sa.course.name)
    for p in (a, b):
        p.by_hand = True
        p.full_clean(validate_unique=False)
        p.save(update_fields=["course", "section", "rank", "note", "by_hand"])
    _changed_by_hand(arrangement)
    log_change(arrangement, ArrangementChange.Kind.SWAP, actor, student=a.student, section=sb,
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
    rank = check_fit(arrangement, application, target, confirm=confirm)
    _check_seat(arrangement, target)
    placement = Placement(arrangement=arrangement, student=application.student,
                          application=application, course=target.course, section=target,
                          rank=rank, note=_note_for(rank, target.course.name), by_hand=True)
    placement.full_clean()
    placement.save()
    arrangement.unplaced.filter(application=application).delete()
    _changed_by_hand(arrangement)
    log_change(arrangement, ArrangementChange.Kind.PLACE, actor, student=application.student,
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
    _changed_by_hand(arrangement)
    log_change(arrangement, ArrangementChange.Kind.REMOVE, actor, student=student,
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
    arrangement = _editable(arrangement, actor)
    section = _lock_section(arrangement, section.pk)
    current = list(section.tutors.all())
    before = "、".join(t.name for t in current) or "未配教师"
    kept = [t for t in current if replacing is not None and t.pk != replacing.pk]
    section = section_set_tutors(actor=actor, section=section, tutors=[*kept, tutor])
    after = "、".join(t.name for t in section.tutors.all())
    log_change(arrangement, ArrangementChange.Kind.TUTOR, actor, section=section,
         from_text=f"{section}：{before}", to_text=f"{section}：{after}", comment=comment)
    return section
