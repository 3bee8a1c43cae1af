"""The demo's satisfaction survey: published to the demo term's families, most answered.

A demo step (``afterschool.demo.register_demo_step``, joined in ``SurveysConfig.ready``), after
attendance's (it needs the roll calls: only children who attended are invited). The office
creates the survey with the default questionnaire and publishes it through the services; about
three families in four answer, mostly 满意 or 非常满意 as the reports describe, a few with a
comment. The answers are written by :func:`surveys.services.responses_bulk_create` (the same
checks and rows as the answer page, in a few queries). The demo guardian's own children are
left unanswered, so signing in as them shows the invitation.

Idempotent: the survey is found by its title, a child already answered is skipped, and each
child's answers come from a seed of their own.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from afterschool import demo as core_demo
from afterschool.access import actor_for
from afterschool.models import Guardian, User
from afterschool.selectors import current_term

from .models import Question, Survey
from .selectors import attended_students, questions_of
from .services import responses_bulk_create, survey_create, survey_publish

SEED = 20261212
SHARE_ANSWERING = 0.75
SCALE_WEIGHTS = [(5, 58), (4, 31), (3, 8), (2, 2), (1, 1)]
COMMENTS = [
    "孩子回家作业基本都写完了，家长轻松了很多，感谢老师！",
    "希望社团课能多一些体育类的项目。",
    "放学接孩子的时候门口有点拥挤，建议分年级错峰。",
    "辅导老师很耐心，孩子很喜欢。",
    "希望作业辅导时老师能多讲一讲错题。",
    "建议冬天放学时间稍微提前一些。",
    "非常满意，希望能一直办下去。",
]


def _pick(rng: random.Random, weights) -> int:
    values, w = zip(*weights, strict=True)
    return rng.choices(values, weights=w)[0]


def demo_answers(questions: list[Question], rng: random.Random) -> dict[int, str]:
    """One family's answers: a general mood per family, each question near it."""
    mood = _pick(rng, SCALE_WEIGHTS)
    answers = {}
    for q in questions:
        if q.kind == Question.Kind.SCALE:
            value = mood if rng.random() < 0.7 else _pick(rng, SCALE_WEIGHTS)
            answers[q.pk] = str(value)
        elif q.kind == Question.Kind.CHOICE:
            answers[q.pk] = rng.choices(q.options, weights=[45, 35, 17, 3][:len(q.options)]
                                        + [1] * max(0, len(q.options) - 4))[0]
        elif rng.random() < 0.15:
            answers[q.pk] = rng.choice(COMMENTS)
    return answers


def surveys_demo(demo: dict, stdout=None) -> None:
    school = demo.get("school")
    term = current_term(school) if school is not None else None
    user = User.objects.filter(phone=core_demo.COORDINATOR.phone).first()
    if term is None or user is None:
        return
    invited = list(attended_students(term).select_related("homeroom"))
    if not invited:
        return
    office = actor_for(user, school)
    title = f"{term.name}课后服务家长满意度调查"
    survey = Survey.objects.filter(term=term, title=title).first()
    if survey is None:
        survey = survey_create(actor=office, term=term, title=title,
                               closes_at=timezone.now() + dt.timedelta(days=14))
    if survey.status == Survey.Status.DRAFT:
        survey_publish(actor=office, survey=survey)
        survey.refresh_from_db()
    questions = questions_of(survey)
    demo_family = set(Guardian.objects.filter(school=school, phone=core_demo.GUARDIAN.phone)
                      .values_list("student_links__student_id", flat=True))
    answers = {}
    for student in invited:
        rng = random.Random(SEED * 1_000_003 + student.pk)
        if student.pk in demo_family or rng.random() > SHARE_ANSWERING:
            continue
        answers[student] = demo_answers(questions, rng)
    written = responses_bulk_create(survey=survey, answers=answers)
    if stdout is not None and written:
        stdout.write(f"{school.name}：满意度调查“{survey.title}”，{written} 份答卷。")


