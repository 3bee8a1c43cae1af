"""The arrangement's plain-data side: a term as an exchange-format instance, and back.

``term_instance`` reads the database once and returns the instance dict of FORMAT.md (course
and section ids are primary keys as strings, student ids the student's primary key), with the
names a person needs to read it (``name``), which the solver keeps for its explanations.
Everything after that — explaining a placement to a guardian, grouping children for homework
tutoring — works on plain data, so the command line and the web application agree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from afterschool.models import WEEKDAY_CODES

FORMAT = "afterschool-arrangement/1"
GROUP_SIZE = 25


# ------------------------------------------------------------------ database → instance


def attending_weekdays(application, term) -> list[int]:
    """The ISO weekdays a child attends: those chosen among the term's service days.

    An application that names no day means every service day of the term.
    """
    service = set(term.service_weekdays or [])
    chosen = {d for d in (application.weekdays or []) if not service or d in service}
    return sorted(chosen or service)


def student_days(application, term) -> list[str]:
    """The same days as the exchange format writes them: ``mon``…``sun``."""
    return [WEEKDAY_CODES[d - 1] for d in attending_weekdays(application, term)]


def term_instance(term, *, seed: int, applications=None) -> dict:
    """The exchange-format instance of a term's arrangement, straight from the database.

    Students: approved, participating applications (also those placed by an earlier run).
    Courses: the term's active 走班 courses that are not fixed for everyone, with their
    sections. A preference naming any other course (closed, or run per homeroom) keeps its
    place in the list through a course without sections, so every rank stays the true one.
    """
    from .selectors.arrangement import arrangement_applications, arrangement_sections

    if applications is None:
        applications = arrangement_applications(term)
    applications = list(applications)
    sections_by_course = defaultdict(list)
    courses = {}
    for section in arrangement_sections(term):
        courses[section.course_id] = section.course
        sections_by_course[section.course_id].append(section)
    for app in applications:
        for pref in app.preferences.all():
            courses.setdefault(pref.course_id, pref.course)

    course_rows = []
    for course in sorted(courses.values(), key=lambda c: c.pk):
        course_rows.append({
            "id": str(course.pk),
            "name": course.name,
            "grades": sorted(g.number for g in course.grades.all()),
            "min_size": course.min_size,
            "sections": [{
                "id": str(s.pk),
                "name": s.name,
                "capacity": s.capacity,
                "slots": sorted({slot.code for slot in s.slots.all()}),
            } for s in sections_by_course.get(course.pk, [])],
        })
    student_rows = []
    for app in sorted(applications, key=lambda a: a.student_id):
        student = app.student
        student_rows.append({
            "id": str(student.pk),
            "name": student.name,
            "grade": student.homeroom.grade.number,
            "homeroom": student.homeroom.short_label,
            "days": student_days(app, term),
            "preferences": [str(p.course_id) for p in
                            sorted(app.preferences.all(), key=lambda p: p.rank)],
        })
    return {
        "format": FORMAT,
        "term": term.name,
        "seed": int(seed),
        "max_courses_per_student": term.max_courses_per_student,
        "courses": course_rows,
        "students": student_rows,
    }


# ------------------------------------------------------------------ explanations

CONTACT = "暂未安排，可联系课后服务办公室"


def unplaced_text(code: str, reason: str) -> str:
    """The solver's reason for a child without a course, as the guardian reads it."""
    if code == "full":
        return f"所报课程已满，{CONTACT}" if reason.startswith("所有") else f"{reason}，{CONTACT}"
    if code == "no_preferences":
        return f"未填写志愿课程，{CONTACT}"
    return f"{reason}，{CONTACT}"


def explanations(parsed, solution) -> tuple[dict[str, str], dict[str, str]]:
    """(placed student id → sentence, unplaced student id → sentence) for one solution.

    The solver explains in terms of the instance, whose courses carry their names, so the
    sentences read "第一志愿篮球已满，已安排第二志愿书法".
    """
    from .solver import explain

    placed = {}
    for student_id in dict.fromkeys(p.student for p in solution.placements):
        placed[student_id] = explain(parsed, solution, student_id)
    unplaced = {u.student: unplaced_text(u.code, u.reason) for u in solution.unplaced}
    return placed, unplaced


# ------------------------------------------------------------------ homework tutoring groups


@dataclass(frozen=True)
class HomeworkChild:
    id: Hashable
    grade: int
    homeroom: Hashable
    days: frozenset[int]


@dataclass(frozen=True)
class GroupPlan:
    """One homework group of one day: whole homerooms, or one part of a large homeroom."""

    weekday: int
    grade: int
    homerooms: tuple[Hashable, ...]
    students: tuple[Hashable, ...]
    part: int = 1
    parts: int = 1


def group_homework(children: Iterable[HomeworkChild], *,
                   max_size: int = GROUP_SIZE) -> list[GroupPlan]:
    """Each attending child, each attending day, in one group of at most ``max_size``.

    A homeroom that fits in one group stays whole; a larger one is cut into as few, as even
    parts as it needs. Whole homerooms of the same grade share a group when together they fit
    (first fit, largest first), so a grade needs few tutors; grades never mix.
    The result is deterministic: it depends only on the children, not on their order.
    """
    if max_size < 1:
        raise ValueError("max_size must be positive")
    by_day_grade_room: dict[tuple[int, int], dict[Hashable, list]] = defaultdict(
        lambda: defaultdict(list))
    for child in children:
        for day in child.days:
            by_day_grade_room[day, child.grade][child.homeroom].append(child.id)
    plans: list[GroupPlan] = []
    for (day, grade) in sorted(by_day_grade_room):
        rooms = by_day_grade_room[day, grade]
        small: list[tuple[Hashable, list]] = []
        for room in sorted(rooms, key=_sort_key):
            members = sorted(rooms[room], key=_sort_key)
            if len(members) <= max_size:
                small.append((room, members))
                continue
            parts = math.ceil(len(members) / max_size)
            size, extra = divmod(len(members), parts)
            start = 0
            for part in range(parts):
                end = start + size + (1 if part < extra else 0)
                plans.append(GroupPlan(day, grade, (room,), tuple(members[start:end]),
                                       part + 1, parts))
                start = end
        bins: list[list[tuple[Hashable, list]]] = []
        for room, members in sorted(small, key=lambda rm: (-len(rm[1]), _sort_key(rm[0]))):
            for b in bins:
                if sum(len(m) for _, m in b) + len(members) <= max_size:
                    b.append((room, members))
                    break
            else:
                bins.append([(room, members)])
        for b in bins:
            b.sort(key=lambda rm: _sort_key(rm[0]))
            plans.append(GroupPlan(day, grade, tuple(r for r, _ in b),
                                   tuple(s for _, m in b for s in m)))
    plans.sort(key=lambda p: (p.weekday, p.grade, [_sort_key(r) for r in p.homerooms], p.part))
    return plans


def _sort_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))
