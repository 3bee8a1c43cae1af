"""The demo catalog step: ~30 staffed 走班 courses, the fixed items, valid choices, idempotent.

One test builds the real demo school (core, enrollment's forms, this step, then the
arrangement's step that ranks the choices) and checks everything on it, since building it is
what takes the time.
"""

from collections import Counter

import pytest

from afterschool import demo as core_demo
from afterschool.models import StudentGuardian
from arrangement.demo import preferences_demo
from arrangement.exchange import attending_weekdays, term_instance
from arrangement.selectors import arrangement_applications
from courses import staffing
from courses.demo import COURSES, courses_demo
from courses.models import Course, Section, SectionSlot
from enrollment.demo import enrollment_demo
from enrollment.models import Application, Preference

pytestmark = pytest.mark.django_db

FOUR = {"艺术素养", "语言素养", "操作技巧", "体育技能"}


def counts(term) -> dict:
    return {
        "courses": Course.objects.filter(term=term).count(),
        "sections": Section.objects.filter(course__term=term).count(),
        "slots": SectionSlot.objects.filter(section__course__term=term).count(),
        "tutors": Section.tutors.through.objects.filter(section__course__term=term).count(),
        "preferences": Preference.objects.filter(application__term=term).count(),
    }


def test_steps_run_forms_then_catalog_then_choices():
    steps = core_demo.demo_steps()
    assert {enrollment_demo, courses_demo, preferences_demo} <= set(steps)
    assert (steps.index(enrollment_demo) < steps.index(courses_demo)
            < steps.index(preferences_demo))


def test_demo_catalog_and_choices_on_the_demo_school():
    demo = core_demo.build_demo()
    enrollment_demo(demo)
    courses_demo(demo)
    preferences_demo(demo)
    school, term = demo["school"], demo["term"]

    # About 30 走班 courses in the four categories plus 名师课堂 and 培优辅潜.
    mixed = list(Course.objects.filter(term=term, is_fixed=False)
                 .prefetch_related("grades", "sections__tutors", "sections__slots__period"))
    assert 26 <= len(mixed) <= 34
    assert all(c.mode == Course.Mode.MIXED and c.is_active for c in mixed)
    assert {c.category for c in mixed} >= FOUR | {"名师课堂", "培优辅潜"}
    grades = set(school.grades.values_list("pk", flat=True))
    assert all({g.pk for g in c.grades.all()} == grades for c in mixed)
    assert all(c.description for c in mixed)
    assert sum(1 for c in mixed if c.min_size) >= 3
    external = [c for c in mixed if c.instructor_kind == Course.InstructorKind.EXTERNAL]
    assert {"篮球", "舞狮", "萨克斯"} <= {c.instructor_subject for c in external}

    # Every course has sections of 25, staffed one tutor per 25, externals by externals.
    for course in mixed:
        sections = list(course.sections.all())
        assert sections, course
        for section in sections:
            tutors = list(section.tutors.all())
            assert section.capacity == 25 and section.venue
            assert len(tutors) >= staffing.tutors_needed(section.capacity), section
            if course in external:
                assert all(t.is_external for t in tutors), section
            slots = {(s.weekday, s.period.number) for s in section.slots.all()}
            # Clubs meet Tuesday–Thursday in periods 2–3, on Monday only after 阅读写字.
            assert slots and all(p in (2, 3) and (d != 1 or p == 3) for d, p in slots), section
    assert any(c.name == "篮球" and c.sections.all()[0].tutors.all()[0].name
               == core_demo.EXTERNAL.name for c in mixed)

    # The fixed items: 阅读写字 on Monday in every homeroom, 作业辅导; nobody ranks them.
    fixed = {c.name: c for c in Course.objects.filter(term=term, is_fixed=True)}
    assert set(fixed) == {"阅读写字", "作业辅导"}
    reading = Section.objects.filter(course=fixed["阅读写字"])
    assert reading.count() == school.homerooms.count()
    assert set(SectionSlot.objects.filter(section__in=reading)
               .values_list("weekday", "period__number")) == {(1, 2)}
    assert not Section.objects.filter(course=fixed["阅读写字"], tutors__isnull=True).exists()

    # A popular course's second section meets on other days, so more children fit one.
    doubles = [c for c in mixed if len(c.sections.all()) > 1]
    assert doubles
    for course in doubles:
        first, second = ({s.weekday for s in section.slots.all()}
                         for section in course.sections.all()[:2])
        assert not first & second, course

    # Nobody, tutor or venue, is in two places at once.
    tutor_at, venue_at = Counter(), Counter()
    for slot in SectionSlot.objects.filter(section__course__term=term).select_related(
            "section").prefetch_related("section__tutors"):
        key = (slot.weekday, slot.period_id)
        venue_at[key, slot.section.venue] += 1
        for tutor in slot.section.tutors.all():
            tutor_at[key, tutor.pk] += 1
    assert max(tutor_at.values()) == 1 and max(venue_at.values()) == 1

    # Choices: every participating demo form ranks 1..n ≤ max_preferences distinct courses of
    # the child's grade, each with a section on days the child attends; the others rank none.
    demo_children = set(StudentGuardian.objects.filter(
        guardian__user__phone=core_demo.GUARDIAN.phone).values_list("student_id", flat=True))
    apps = list(Application.objects.filter(term=term).select_related("student__homeroom")
                .prefetch_related("preferences__course__grades",
                                  "preferences__course__sections__slots"))
    participating = [a for a in apps if a.participates]
    assert len(participating) > 300
    first_choices = Counter()
    for app in apps:
        prefs = sorted(app.preferences.all(), key=lambda p: p.rank)
        if not app.participates or app.student_id in demo_children:
            assert not prefs
            continue
        assert 1 <= len(prefs) <= term.max_preferences
        assert [p.rank for p in prefs] == list(range(1, len(prefs) + 1))
        assert len({p.course_id for p in prefs}) == len(prefs)
        days = set(attending_weekdays(app, term))
        for pref in prefs:
            course = pref.course
            assert not course.is_fixed
            assert app.student.homeroom.grade_id in {g.pk for g in course.grades.all()}
            assert any({s.weekday for s in section.slots.all()} <= days
                       for section in course.sections.all()), (app.pk, course.name)
        first_choices[prefs[0].course.name] += 1
    assert sum(1 for p in participating if len(p.preferences.all()) == term.max_preferences) \
        > len(participating) / 2

    # Seats for the choices; the popular courses more wanted than they have seats for.
    seats = {c.name: sum(s.capacity for s in c.sections.all()) for c in mixed}
    assert len(participating) <= sum(seats.values()) <= 2 * len(participating)
    over = [name for name, n in first_choices.items() if n > seats[name]]
    assert len(over) >= 3 and "篮球" in over
    weights = {s.name: s.weight for s in COURSES}
    favourite = first_choices.most_common(1)[0][0]
    assert weights[favourite] >= 10

    # The small school gets a small catalog, staffed too.
    other = demo["other_school"]
    small = Course.objects.filter(school=other, is_fixed=False)
    assert 4 <= small.count() <= 10
    assert not Section.objects.filter(course__school=other, tutors__isnull=True).exists()
    assert Preference.objects.filter(application__school=other).exists()

    # The arrangement's instance builds, and its solver (if present) accepts it.
    instance = term_instance(term, seed=1)
    assert len(instance["students"]) == arrangement_applications(term).count() > 0
    by_id = {c["id"]: c for c in instance["courses"]}
    assert all(by_id[p]["sections"] for s in instance["students"] for p in s["preferences"])
    try:
        from arrangement.solver import parse_instance
    except ImportError:  # pragma: no cover - the solver is built alongside
        parse_instance = None
    if parse_instance is not None:
        assert len(parse_instance(instance).students) == len(instance["students"])

    # A second run adds nothing.
    before = {t.pk: counts(t) for t in (term, *other.terms.all())}
    courses_demo(demo)
    preferences_demo(demo)
    assert {t.pk: counts(t) for t in (term, *other.terms.all())} == before

