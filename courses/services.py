"""Writes of the catalog: courses, their sections, slots and tutors.

Every function takes keyword-only arguments and the acting person, checks the school's rules
and raises :class:`~courses.exceptions.CatalogError` (messages in ``courses/exceptions.py``)
or Django's ``ValidationError`` from ``full_clean``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from afterschool.access import Actor, require
from afterschool.formatting import weekdays_text
from afterschool.models import Grade, Homeroom, Period, Role, Staff, Term
from afterschool.norms import STUDENTS_PER_TUTOR

from . import exceptions, occupancy, staffing
from .demand import times_chosen
from .models import Course, Section, SectionSlot
from .selectors import homerooms_with_size

PICTURE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
PICTURE_MAX_BYTES = 2 * 1024 * 1024
# The first bytes of each accepted format: a renamed PDF is not a picture.
_PICTURE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")

Slot = tuple[int, Period]


def validate_course_picture(file) -> None:
    """A course picture is a jpg/png/gif/webp image of at most 2 MB."""
    extension = os.path.splitext(file.name or "")[1].lower()
    if extension not in PICTURE_EXTENSIONS:
        raise ValidationError(exceptions.PICTURE_NOT_IMAGE, code="not_image")
    if file.size > PICTURE_MAX_BYTES:
        raise ValidationError(exceptions.PICTURE_TOO_LARGE, code="too_large")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(12)
    file.seek(position)
    if not head.startswith(_PICTURE_MAGIC) or (head.startswith(b"RIFF") and head[8:12] != b"WEBP"):
        raise ValidationError(exceptions.PICTURE_NOT_IMAGE, code="not_image")


# ------------------------------------------------------------------ courses


def _require_office_of(actor: Actor, course: Course) -> None:
    """The coordinator of the course's own school (views fetch scoped rows; this holds for
    any other caller too)."""
    require(actor, Role.COORDINATOR)
    if actor.school is None or course.school_id != actor.school.pk:
        raise exceptions.CatalogError(exceptions.COURSE_OTHER_SCHOOL)


def _check_course(actor: Actor, term: Term, grades: Iterable[Grade]) -> None:
    require(actor, Role.COORDINATOR)
    if term.school_id != actor.school.pk:
        raise exceptions.CatalogError(exceptions.COURSE_WRONG_TERM)
    if any(g.school_id != term.school_id for g in grades):
        raise exceptions.CatalogError(exceptions.GRADE_NOT_IN_SCHOOL)


@transaction.atomic
def course_create(*, actor: Actor, term: Term, name: str, category: str,
                  grades: Sequence[Grade], mode: str = Course.Mode.MIXED,
                  description: str = "", picture=None, min_size: int = 0,
                  instructor_subject: str = "", instructor_kind: str = Course.InstructorKind.ANY,
                  is_fixed: bool = False, is_active: bool = True) -> Course:
    _check_course(actor, term, grades)
    if picture:
        validate_course_picture(picture)
    course = Course(school=term.school, term=term, name=name.strip(), category=category.strip(),
                    description=description, mode=mode, min_size=min_size,
                    instructor_subject=instructor_subject.strip(),
                    instructor_kind=instructor_kind, is_fixed=is_fixed, is_active=is_active)
    if picture:
        course.picture = picture
    course.full_clean()
    course.save()
    course.grades.set(grades)
    return course


@transaction.atomic
def course_update(*, actor: Actor, course: Course, name: str, category: str,
                  grades: Sequence[Grade], mode: str, description: str = "", picture=None,
                  min_size: int = 0, instructor_subject: str = "",
                  instructor_kind: str = Course.InstructorKind.ANY, is_fixed: bool = False,
                  is_active: bool = True) -> Course:
    """Change a course. ``picture``: a new file replaces, ``False`` removes, ``None`` keeps."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_office_of(actor, course)
    _check_course(actor, course.term, grades)
    if mode == Course.Mode.MIXED and course.sections.filter(homeroom__isnull=False).exists():
        raise exceptions.CatalogError(exceptions.COURSE_HAS_HOMEROOM_SECTIONS)
    if is_fixed and not course.is_fixed and times_chosen(course):
        raise exceptions.CourseInUse(
            exceptions.COURSE_FIXED_HAS_PREFERENCES.format(course=course.name))
    if picture:
        validate_course_picture(picture)
        course.picture = picture
    elif picture is False:
        course.picture = ""
    course.name = name.strip()
    course.category = category.strip()
    course.description = description
    course.mode = mode
    course.min_size = min_size
    course.instructor_subject = instructor_subject.strip()
    course.instructor_kind = instructor_kind
    course.is_fixed = is_fixed
    course.is_active = is_active
    course.full_clean()
    course.save()
    course.grades.set(grades)
    return course


@transaction.atomic
def course_set_active(*, actor: Actor, course: Course, is_active: bool) -> Course:
    """Open or close (停开) a course; its preferences stay, the arrangement skips it."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_office_of(actor, course)
    course.is_active = is_active
    course.save(update_fields=["is_active"])
    return course


@transaction.atomic
def course_delete(*, actor: Actor, course: Course) -> None:
    """Delete a course nobody has ranked yet; one with preferences can only be closed."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_office_of(actor, course)
    count = times_chosen(course)
    if count:
        raise exceptions.CourseInUse(
            exceptions.COURSE_HAS_PREFERENCES.format(course=course.name, count=count))
    course.delete()


# ------------------------------------------------------------------ sections


def _check_slots(term: Term, slots: Iterable[Slot]) -> set[tuple[int, int]]:
    """The slots as (weekday, period id), each among the term's service days and periods."""
    result = set()
    for weekday, period in slots:
        if weekday not in term.service_weekdays or period.term_id != term.pk:
            raise exceptions.CatalogError(exceptions.SLOT_NOT_IN_TERM)
        result.add((weekday, period.pk))
    return result


def _check_tutors(course: Course, tutors: Iterable[Staff]) -> list[Staff]:
    tutors = list(dict.fromkeys(tutors))
    for tutor in tutors:
        if tutor.school_id != course.school_id or not tutor.is_active:
            raise exceptions.CatalogError(exceptions.TUTOR_NOT_IN_SCHOOL.format(tutor=tutor.name))
        if course.instructor_kind == Course.InstructorKind.EXTERNAL and not tutor.is_external:
            raise exceptions.CatalogError(
                exceptions.TUTOR_MUST_BE_EXTERNAL.format(course=course.name, tutor=tutor.name))
        if course.instructor_kind == Course.InstructorKind.INTERNAL and tutor.is_external:
            raise exceptions.CatalogError(
                exceptions.TUTOR_MUST_BE_INTERNAL.format(course=course.name, tutor=tutor.name))
    return tutors


def _check_homeroom(course: Course, homeroom: Homeroom | None) -> None:
    if homeroom is None:
        return
    if course.mode == Course.Mode.MIXED:
        raise exceptions.CatalogError(exceptions.SECTION_HOMEROOM_FOR_MIXED)
    if homeroom.school_id != course.school_id or not course.grades.filter(
            pk=homeroom.grade_id).exists():
        raise exceptions.CatalogError(
            exceptions.SECTION_HOMEROOM_NOT_IN_GRADES.format(homeroom=homeroom))


def _check_schedule(*, term: Term, section: Section | None, slots: set[tuple[int, int]],
                    tutors: list[Staff], venue: str) -> None:
    """Refuse a tutor or a venue in two sections of the term at the same weekday and period,
    or at a slot an app above the catalog holds them (:mod:`courses.occupancy`).

    The tutors' rows are locked first, so two offices assigning the same teacher at once
    wait for each other instead of both passing the check; a venue has no row of its own,
    so a named venue locks the term.
    """
    if not slots:
        return
    if tutors:
        list(Staff.objects.select_for_update().filter(pk__in=[t.pk for t in tutors])
             .order_by("pk").values_list("pk", flat=True))
    if venue:
        list(Term.objects.select_for_update().filter(pk=term.pk).values_list("pk", flat=True))
    same_time = Q()
    for weekday, period_id in slots:
        same_time |= Q(weekday=weekday, period_id=period_id)
    others = (SectionSlot.objects.filter(same_time, section__course__term=term,
                                         section__course__is_active=True)
              .select_related("section__course", "period").order_by("weekday", "period__number"))
    if section is not None:
        others = others.exclude(section=section)
    for tutor in tutors:
        clash = others.filter(section__tutors=tutor).first()
        if clash:
            raise exceptions.ScheduleClash(exceptions.TUTOR_CLASH.format(
                tutor=tutor.name, slot=clash, section=clash.section))
    if venue:
        clash = others.filter(section__venue__iexact=venue).first()
        if clash:
            raise exceptions.ScheduleClash(exceptions.VENUE_CLASH.format(venue=venue, slot=clash,
                                                                         section=clash.section))
    outside = sorted((o for o in occupancy.occupied(term) if (o.weekday, o.period_id) in slots),
                     key=lambda o: (o.weekday, o.period_number, o.label))
    for tutor in tutors:
        hit = next((o for o in outside if o.tutor_id == tutor.pk), None)
        if hit:
            raise exceptions.ScheduleClash(exceptions.TUTOR_BUSY_OUTSIDE.format(
                tutor=tutor.name, slot=hit.slot_label, what=hit.label))
    if venue:
        hit = next((o for o in outside if o.venue.casefold() == venue.casefold()), None)
        if hit:
            raise exceptions.ScheduleClash(exceptions.VENUE_BUSY_OUTSIDE.format(
                venue=venue, slot=hit.slot_label, what=hit.label))


def _save_slots(section: Section, slots: set[tuple[int, int]]) -> None:
    """Keep the slots that stay (lessons may point at them), drop and add the rest."""
    current = {(s.weekday, s.period_id): s for s in section.slots.all()}
    gone = [s.pk for key, s in current.items() if key not in slots]
    if gone:
        SectionSlot.objects.filter(pk__in=gone).delete()
    for weekday, period_id in sorted(slots - current.keys()):
        slot = SectionSlot(section=section, weekday=weekday, period_id=period_id)
        slot.full_clean()
        slot.save()


def _section_save(*, section: Section, slots: Iterable[Slot], tutors: Iterable[Staff]) -> Section:
    course = section.course
    term = course.term
    slot_keys = _check_slots(term, slots)
    if not slot_keys:
        raise exceptions.CatalogError(exceptions.SECTION_NEEDS_SLOTS)
    tutors = _check_tutors(course, tutors)
    _check_homeroom(course, section.homeroom)
    section.venue = section.venue.strip()
    section.name = section.name.strip()
    _check_schedule(term=term, section=section if section.pk else None, slots=slot_keys,
                    tutors=tutors, venue=section.venue)
    section.full_clean()
    section.save()
    _save_slots(section, slot_keys)
    section.tutors.set(tutors)
    return section


@transaction.atomic
def section_create(*, actor: Actor, course: Course, name: str, slots: Iterable[Slot],
                   capacity: int = STUDENTS_PER_TUTOR, venue: str = "", homeroom: Homeroom | None = None,
                   tutors: Iterable[Staff] = ()) -> Section:
    _require_office_of(actor, course)
    section = Section(course=course, name=name, capacity=capacity, venue=venue,
                      homeroom=homeroom)
    return _section_save(section=section, slots=slots, tutors=tutors)


@transaction.atomic
def section_update(*, actor: Actor, section: Section, name: str, slots: Iterable[Slot],
                   capacity: int, venue: str = "", homeroom: Homeroom | None = None,
                   tutors: Iterable[Staff] = ()) -> Section:
    section = Section.objects.select_for_update().select_related("course__term").get(
        pk=section.pk)
    _require_office_of(actor, section.course)
    section.name, section.capacity, section.venue = name, capacity, venue
    section.homeroom = homeroom
    return _section_save(section=section, slots=slots, tutors=tutors)


@transaction.atomic
def section_set_tutors(*, actor: Actor, section: Section, tutors: Iterable[Staff]) -> Section:
    """Change only who teaches a section, with the same checks as editing it."""
    section = Section.objects.select_for_update().select_related("course__term").get(
        pk=section.pk)
    _require_office_of(actor, section.course)
    tutors = _check_tutors(section.course, tutors)
    slot_keys = {(s.weekday, s.period_id) for s in section.slots.all()}
    _check_schedule(term=section.course.term, section=section, slots=slot_keys, tutors=tutors,
                    venue="")
    section.tutors.set(tutors)
    return section


@transaction.atomic
def section_delete(*, actor: Actor, section: Section) -> None:
    _require_office_of(actor, section.course)
    section.delete()


@transaction.atomic
def course_generate_homeroom_sections(*, actor: Actor, course: Course,
                                      slots: Iterable[Slot]) -> list[Section]:
    """为每个班级生成教学班: one section per homeroom of the course's grades that has none yet,
    sized to the homeroom, meeting in its own classroom at the given slots."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_office_of(actor, course)
    if course.mode != Course.Mode.HOMEROOM:
        raise exceptions.CatalogError(exceptions.NOT_PER_HOMEROOM)
    homerooms = list(homerooms_with_size(course.grades.all()).filter(school=course.school))
    if not homerooms:
        raise exceptions.CatalogError(exceptions.NO_HOMEROOMS)
    slots = list(slots)
    done = set(course.sections.filter(homeroom__isnull=False).values_list("homeroom", flat=True))
    created = []
    for homeroom in homerooms:
        if homeroom.pk in done:
            continue
        section = Section(course=course, name=homeroom.name, homeroom=homeroom,
                          capacity=min(max(homeroom.size, 1), 200),
                          venue=f"{homeroom.name}教室")
        created.append(_section_save(section=section, slots=slots, tutors=()))
    return created


def section_warnings(*, section: Section) -> list[str]:
    """What is allowed but worth a second look: too few tutors for the size, a tutor outside
    the course's subject or on a day they did not offer. Reads ``section.tutors.all()`` and
    ``section.slots.all()`` (prefetch them for lists)."""
    tutors = list(section.tutors.all())
    days = sorted({s.weekday for s in section.slots.all()})
    warnings = []
    needed = staffing.tutors_needed(section.capacity)
    if len(tutors) < needed:
        warnings.append(exceptions.CAPACITY_OVER_RATIO.format(
            section=section, capacity=section.capacity, tutors=len(tutors), needed=needed))
    subject = section.course.instructor_subject.strip()
    if subject:
        wanted = staffing.normalise_subject(subject)
        for tutor in tutors:
            if wanted not in {staffing.normalise_subject(s) for s in tutor.subject_list}:
                warnings.append(exceptions.TUTOR_SUBJECT_MISMATCH.format(tutor=tutor.name,
                                                                         subject=subject))
    for tutor in tutors:
        missing = [d for d in days if d not in (tutor.available_weekdays or [])]
        if missing:
            warnings.append(exceptions.TUTOR_DAY_UNAVAILABLE.format(tutor=tutor.name,
                                                                    days=weekdays_text(missing)))
    return warnings


# ------------------------------------------------------------------ staffing


@transaction.atomic
def staffing_apply(*, actor: Actor, term: Term,
                   additions: Iterable[tuple[int, int]]) -> list[Section]:
    """Add the tutors of a reviewed proposal — (section id, staff id) pairs — all or none.

    Each addition is checked as a manual one would be, against what is saved by then, so a
    proposal that has gone stale (someone changed a section meanwhile) is refused whole.
    """
    require(actor, Role.COORDINATOR)
    additions = sorted(set(additions))
    if not additions:
        raise exceptions.CatalogError(exceptions.STAFFING_NOTHING_TO_APPLY)
    sections = {s.pk: s for s in Section.objects.select_for_update()
                .select_related("course__term")
                .filter(pk__in={sid for sid, _ in additions}, course__term=term,
                        course__school=actor.school)}
    staff = {s.pk: s for s in Staff.objects.filter(pk__in={tid for _, tid in additions},
                                                    school=actor.school)}
    if len(sections) != len({sid for sid, _ in additions}) or len(staff) != len(
            {tid for _, tid in additions}):
        raise exceptions.CatalogError(exceptions.STAFFING_SECTION_GONE)
    changed = []
    for section_id, staff_id in additions:
        section = sections[section_id]
        current = list(section.tutors.all())
        tutor = staff[staff_id]
        if tutor in current:
            continue
        _check_tutors(section.course, [tutor])
        slot_keys = {(s.weekday, s.period_id) for s in section.slots.all()}
        _check_schedule(term=term, section=section, slots=slot_keys, tutors=[tutor], venue="")
        section.tutors.add(tutor)
        changed.append(section)
    return list(dict.fromkeys(changed))
