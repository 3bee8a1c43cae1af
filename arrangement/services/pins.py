"""Runs that keep part of an earlier one: which students are pinned, and carrying them over.

"Place the newcomers" (``Scope.NEWCOMERS``) pins every student holding a seat in the published
run, so only those without one (approved since, or left unplaced) are placed, into the seats
left. "Re-run keeping hand changes" (``Scope.KEEP_HAND``) pins the students whose placements
were changed by hand in the base run, and those the coordinator names; everyone else may move.
A pinned student keeps all their placements of the base run (with k > 1, every course), as the
solver's ``pinned`` key requires (:mod:`arrangement.solver.pinned`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from afterschool.models import Student, Term

from ..exceptions import (
    BASE_NOT_COMPUTED,
    BASE_NOT_PUBLISHED,
    BASE_REQUIRED,
    PIN_UNKNOWN_STUDENT,
    ArrangementError,
)
from ..models import Arrangement, Placement
from ..selectors import active_placements

Scope = Arrangement.Scope


def check_base(*, term: Term, scope: str, base: Arrangement | None,
               pin_student_nos: Iterable[str]) -> list[int]:
    """Refuse a base the scope cannot use; return the named students' primary keys."""
    if scope == Scope.FULL:
        return []
    if base is None or base.term_id != term.pk:
        raise ArrangementError(BASE_REQUIRED)
    if scope == Scope.NEWCOMERS and base.status != Arrangement.Status.PUBLISHED:
        raise ArrangementError(BASE_NOT_PUBLISHED)
    if not base.is_computed:
        raise ArrangementError(BASE_NOT_COMPUTED)
    if scope != Scope.KEEP_HAND:
        return []
    wanted = list(dict.fromkeys(n.strip() for n in pin_student_nos if n.strip()))
    found = dict(Student.objects.filter(school_id=term.school_id,
                                        student_no__in=wanted)
                 .values_list("student_no", "pk"))
    for line, number in enumerate(wanted, start=1):
        if number not in found:
            raise ArrangementError(PIN_UNKNOWN_STUDENT.format(line=line, value=number))
    return [found[n] for n in wanted]


def pinned_placements(arrangement: Arrangement,
                      student_ids: Iterable[int]) -> dict[int, list[Placement]]:
    """Student → the base run's placements they keep, for the students of ``student_ids``.

    An empty list keeps a (named) student without a course, as they are in the base run.
    """
    base = arrangement.base
    if arrangement.scope == Scope.FULL or base is None:
        return {}
    students = set(student_ids)
    held: dict[int, list[Placement]] = defaultdict(list)
    for p in active_placements(base.placements.filter(student_id__in=students)):
        held[p.student_id].append(p)
    if arrangement.scope == Scope.NEWCOMERS:
        chosen = set(held)
    else:
        chosen = {sid for sid, ps in held.items() if any(p.by_hand for p in ps)}
        chosen |= set(arrangement.pinned_students) & students
    return {sid: held.get(sid, []) for sid in sorted(chosen)}


def instance_pins(pins: dict[int, list[Placement]], section_ids: set[str]) -> list[dict]:
    """The solver's ``pinned`` rows; a pin into a section the run no longer has is dropped
    (the student is placed afresh), so the caller compares the lengths to tell."""
    rows = []
    for student_id, placements in pins.items():
        sections = [str(p.section_id) for p in placements]
        if all(s in section_ids for s in sections):
            rows.append({"student": str(student_id), "sections": sections})
    return rows


def carried_copy(arrangement: Arrangement, placement: Placement) -> Placement:
    """The base run's placement as a row of the new run, kept as it was."""
    return Placement(arrangement=arrangement, student_id=placement.student_id,
                     application_id=placement.application_id, course_id=placement.course_id,
                     section_id=placement.section_id, rank=placement.rank, note=placement.note,
                     by_hand=placement.by_hand, pinned=True)
