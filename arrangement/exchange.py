"""The solver's exchange format on the database side: a term as an instance, a solution explained.

``term_instance`` reads the database once and returns the instance dict of FORMAT.md (course
and section ids are primary keys as strings, student ids the student's primary key), with the
names a person needs to read it (``name``), which the solver keeps for its explanations.
``explanations`` turns a solution back into the sentences a guardian reads. Both work on the
same plain data as ``manage.py arrange``, so the command line and the web application agree.
"""

from __future__ import annotations

from collections import defaultdict

from afterschool.models import WEEKDAY_CODES

FORMAT = "afterschool-arrangement/1"


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
    from .selectors import arrangement_applications, arrangement_sections

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
