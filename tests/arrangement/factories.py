"""Builders for arrangement tests: a term with courses, sections and approved applications.

Kept in a test module of its own (pytest collects it, it holds no tests) so the arrangement
tests share one way of making a small school's term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courses.models import Course
from enrollment.models import Application, Preference
from tests import factories as core
from tests.courses.factories import CourseFactory, SectionFactory


def make_course(term, name, *, grades, sections=((25, ((2, 2),)),), mode=Course.Mode.MIXED,
                is_fixed=False, min_size=0, tutors=(), category="体育技能", venue="操场"):
    """A course with sections given as ``(capacity, ((weekday, period_number), …))``."""
    course = CourseFactory(term=term, name=name, category=category, mode=mode,
                           is_fixed=is_fixed, min_size=min_size, grades=grades)
    for i, (capacity, slots) in enumerate(sections, start=1):
        SectionFactory(course=course, name=f"{i}班", capacity=capacity, venue=venue,
                       slots=slots, tutors=tutors)
    return course


def make_application(term, student, prefs=(), *, weekdays=(1, 2, 3, 4),
                     status=Application.Status.SCHOOL_APPROVED, participates=True):
    app = Application.objects.create(school=term.school, term=term, student=student,
                                     status=status, participates=participates,
                                     weekdays=list(weekdays))
    for rank, course in enumerate(prefs, start=1):
        Preference.objects.create(application=app, rank=rank, course=course)
    return app


@dataclass
class SmallTerm:
    term: object
    grade: object
    homerooms: list
    courses: dict
    students: list = field(default_factory=list)
    applications: list = field(default_factory=list)


def small_term(world, *, n_students=6, capacity=2):
    """Grade 7 of the world's school: basketball (tue), calligraphy (wed), robotics (thu).

    The world's three children plus ``n_students - 3`` more; everyone wants basketball first,
    so with ``capacity`` 2 per course some get their second or third choice.
    """
    term = world.term
    grade = world.homeroom.grade
    courses = {
        "basketball": make_course(term, "篮球", grades=[grade], sections=((capacity, ((2, 2),)),),
                                  tutors=[world.external]),
        "calligraphy": make_course(term, "书法", grades=[grade], category="艺术素养",
                                   sections=((capacity, ((3, 2),)),), tutors=[world.tutor],
                                   venue="美术室"),
        "robotics": make_course(term, "机器人", grades=[grade], category="操作技巧",
                                sections=((capacity, ((4, 2),)),), venue="科学室", min_size=3),
    }
    students = [world.child, world.sibling, world.other_child]
    homerooms = [world.homeroom, world.other_homeroom]
    for i in range(max(0, n_students - 3)):
        students.append(core.StudentFactory(school=world.school, homeroom=homerooms[i % 2]))
    order = [courses["basketball"], courses["calligraphy"], courses["robotics"]]
    apps = [make_application(term, s, order) for s in students]
    return SmallTerm(term=term, grade=grade, homerooms=homerooms, courses=courses,
                     students=students, applications=apps)


def run_now(term, actor, capture, **kw):
    """Start a run and let its task (inline in tests) compute it after commit.

    ``capture`` is pytest-django's ``django_capture_on_commit_callbacks`` fixture.
    """
    from arrangement.services import arrangement_start

    with capture(execute=True):
        run = arrangement_start(term=term, actor=actor, **kw)
    run.refresh_from_db()
    return run
