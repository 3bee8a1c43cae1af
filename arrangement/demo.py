"""The demo families' choices: ranked courses on the demo intention forms.

A demo step (``afterschool.demo.register_demo_step``, joined in ``ArrangementConfig.ready``):
it needs both enrollment's forms and the catalog, and it is what the arrangement arranges. For
each demo school's current term it ranks up to ``max_preferences`` courses on every
participating form that has none: courses of the child's grade, with a section on days the
child attends, popular ones (篮球、机器人…, the weights of ``courses.demo.COURSES``) more often
and more often first, so the most wanted are over-subscribed.

Idempotent: a form that already has preferences keeps them. Deterministic: a fixed seed, rows
read in a fixed order.
"""

from __future__ import annotations

import random

from afterschool import demo as core_demo
from afterschool.models import StudentGuardian, Term
from afterschool.selectors import current_term
from courses.demo import ART, COURSES, SEED, SPORT
from courses.models import Course
from enrollment.models import Application, Preference

from .exchange import attending_weekdays

# Boys lean to sports, girls to the arts, a little.
_GENDER_LEAN = {("M", SPORT): 1.4, ("F", SPORT): 0.7, ("M", ART): 0.7, ("F", ART): 1.4}


def preferences_demo(demo: dict, stdout=None) -> None:
    """The demo step (``afterschool.demo.register_demo_step``)."""
    for school in (demo.get("school"), demo.get("other_school")):
        if school is None:
            continue
        term = current_term(school)
        if term is None:
            continue
        given = build_demo_preferences(term=term)
        if stdout is not None and given:
            stdout.write(f"{school.name}：已为 {given} 份意向书填写课程志愿。")


def build_demo_preferences(*, term: Term, seed: int = SEED) -> int:
    """Rank courses on the term's participating forms that have none; how many got some.

    Only courses open to the child's grade with a section on days the child attends; up to
    ``term.max_preferences``, popular courses more often and more often first.
    """
    school = term.school
    demo_children = set(StudentGuardian.objects.filter(
        guardian__school=school, guardian__user__phone=core_demo.GUARDIAN.phone)
        .values_list("student_id", flat=True))
    applications = [a for a in Application.objects
                    .filter(term=term, participates=True, preferences__isnull=True)
                    .select_related("student__homeroom").order_by("student__student_no", "pk")
                    if a.student_id not in demo_children]
    if not applications or term.max_preferences < 1:
        return 0
    weights = {s.name: s.weight for s in COURSES}
    courses = []
    for course in (Course.objects.filter(term=term, is_active=True, is_fixed=False,
                                         mode=Course.Mode.MIXED)
                   .prefetch_related("grades", "sections__slots").order_by("pk")):
        day_sets = [frozenset(slot.weekday for slot in section.slots.all())
                    for section in course.sections.all()]
        day_sets = [d for d in day_sets if d]
        if day_sets:
            courses.append((course, {g.pk for g in course.grades.all()}, day_sets,
                            weights.get(course.name, 3)))

    # Seeded by the school code, not its id: ids depend on what the database made before.
    rng = random.Random(f"{seed + 1}:{school.code}")
    limit = term.max_preferences
    rows = []
    given = 0
    for app in applications:
        days = set(attending_weekdays(app, term))
        grade = app.student.homeroom.grade_id
        options = [(course, weight * _GENDER_LEAN.get((app.student.gender, course.category), 1))
                   for course, grade_ids, day_sets, weight in courses
                   if grade in grade_ids and any(d <= days for d in day_sets)]
        if not options:
            continue
        wanted = rng.choices([limit, limit - 1, 1], [75, 17, 8])[0]
        picks = _rank(options, max(1, min(wanted, len(options))), rng)
        rows += [Preference(application=app, rank=rank, course=course)
                 for rank, course in enumerate(picks, start=1)]
        given += 1
    Preference.objects.bulk_create(rows, batch_size=500)
    return given


def _rank(options: list[tuple[Course, float]], k: int, rng: random.Random) -> list[Course]:
    """k distinct courses in order of choice: the first drawn by weight squared (the favourite
    is very often the popular course), the others by weight."""
    left = list(options)
    picks = []
    for rank in range(k):
        weights = [w ** 2 if rank == 0 else w for _, w in left]
        index = rng.choices(range(len(left)), weights)[0]
        picks.append(left.pop(index)[0])
    return picks


def publication_demo(demo: dict, stdout=None) -> None:
    """The demo step after the choices: the office runs the arrangement and publishes it.

    For the demo school's current term, when it has no published run yet: a run is started,
    computed inline (the task that ``arrangement_start`` queues finds it finished and does
    nothing) and published, all through the services with the coordinator as the actor, so
    the rosters, the schedules and attendance have content. Idempotent: a term with a
    published run is left alone. Deterministic: a fixed seed.
    """
    from afterschool.access import actor_for
    from afterschool.models import User

    from . import services
    from .models import Arrangement

    school = demo.get("school")
    term = current_term(school) if school is not None else None
    if term is None or Arrangement.objects.filter(
            term=term, status=Arrangement.Status.PUBLISHED).exists():
        return
    user = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    if user is None:
        return
    office = actor_for(user, school)
    run = services.arrangement_start(term=term, actor=office, seed=SEED)
    run = services.arrangement_compute(arrangement=run)
    if run.status != Arrangement.Status.DRAFT or run.finished_at is None:
        return
    services.arrangement_publish(arrangement=run, actor=office)
    if stdout is not None:
        stdout.write(f"{school.name}：已发布第{run.version}版统筹安排（{run.placements.count()} 个安排）。")
