"""Writes of the surveys: keyword-only, with an ``actor``, all or nothing.

The office creates a survey (with the default questionnaire), edits its questions while it is a
draft, publishes it to the families of the children who attended the term, and closes it (the
beat closes it at its deadline). A family submits one answer per child, and may change it
until the survey closes. What a response is cut by (grade, homeroom, courses, tutors) is
copied onto it from the child's records at every save; the child is not
(:mod:`surveys.models`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor, children_of
from afterschool.formatting import short_moment_text
from afterschool.models import Guardian, Role, Student, Term
from afterschool.notifications import NoticeSpec, notices_send
from afterschool.workflow import clean

from . import exceptions as e
from .anonymity import candidate_keys, respondent_key
from .models import (
    SCALE_MAX,
    SCALE_MIN,
    Question,
    Respondent,
    Survey,
    SurveyAnswer,
    SurveyPolicy,
    SurveyResponse,
)
from .selectors import Cuts, attended_students, cuts_of, has_attended, questions_of
from .transitions import SURVEY_MACHINE

S = Survey.Status
K = Question.Kind
T = Question.Topic
TEXT_LIMIT = 500


@dataclass(frozen=True)
class DefaultQuestion:
    text: str
    kind: str
    topic: str
    options: tuple = ()
    required: bool = True


# The questionnaire a new survey starts with: safety, homework help, the clubs, the tutors,
# the homework finished earlier at home (an outcome the schools report), overall, and advice.
DEFAULT_QUESTIONS = (
    DefaultQuestion("您对课后服务的安全管理（点名、交接、护送离校）是否满意？", K.SCALE, T.SAFETY),
    DefaultQuestion("您对作业辅导的效果是否满意？", K.SCALE, T.HOMEWORK),
    DefaultQuestion("您对孩子参加的社团和特色课程是否满意？", K.SCALE, T.CLUBS),
    DefaultQuestion("您对辅导老师的工作态度和方法是否满意？", K.SCALE, T.TUTORS),
    DefaultQuestion("参加课后服务后，孩子在家完成作业的时间：", K.CHOICE, T.HOMEWORK,
                    ("明显提前", "略有提前", "没有变化", "比以前更晚")),
    DefaultQuestion("总体来说，您对学校的课后服务是否满意？", K.SCALE, T.OVERALL),
    DefaultQuestion("您对课后服务还有哪些意见和建议？", K.TEXT, T.OTHER, required=False),
)
DEFAULT_INTRO = ("各位家长：为了解课后服务的开展情况、改进我们的工作，请您抽几分钟填写这份问卷。"
                 "问卷不记名，学校只看到汇总结果，看不到是哪位家长填写的。谢谢您的支持！")


# ---------------------------------------------------------------------------- the office


def _require_office(actor: Actor) -> None:
    if actor is None or actor.school is None or not actor.has(Role.COORDINATOR):
        raise e.SurveyError(e.NOT_ALLOWED)


def _locked(survey: Survey, actor: Actor | None) -> Survey:
    survey = Survey.objects.select_for_update().select_related("term", "school").get(pk=survey.pk)
    if actor is not None and survey.school_id != actor.school.pk:
        raise e.SurveyError(e.NOT_ALLOWED)
    return survey


def _editable(survey: Survey, actor: Actor) -> Survey:
    _require_office(actor)
    survey = _locked(survey, actor)
    if survey.status != S.DRAFT:
        raise e.SurveyError(e.NOT_DRAFT.format(title=survey.title))
    return survey


@transaction.atomic
def survey_create(*, actor: Actor, term: Term, title: str, closes_at: dt.datetime,
                  intro: str | None = None, now: dt.datetime | None = None) -> Survey:
    """A draft survey of ``term`` with the default questionnaire."""
    _require_office(actor)
    now = now or timezone.now()
    if term.school_id != actor.school.pk:
        raise e.SurveyError(e.TERM_OTHER_SCHOOL, field="term")
    title = (title or "").strip()
    if not title:
        raise e.SurveyError(e.TITLE_REQUIRED, field="title")
    if Survey.objects.filter(term=term, title=title).exists():
        raise e.SurveyError(e.TITLE_TAKEN.format(title=title), field="title")
    _check_closes_at(closes_at, now)
    survey = Survey(school=actor.school, term=term, title=title,
                    intro=DEFAULT_INTRO if intro is None else intro.strip(),
                    closes_at=closes_at, created_by=actor.user, created_at=now)
    survey.full_clean()
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:  # the same title saved by a second tab at the same moment
        raise e.SurveyError(e.TITLE_TAKEN.format(title=title), field="title") from None
    Question.objects.bulk_create([
        Question(survey=survey, number=i, text=q.text, kind=q.kind, topic=q.topic,
                 options=list(q.options), required=q.required)
        for i, q in enumerate(DEFAULT_QUESTIONS, start=1)])
    return survey


def _check_closes_at(closes_at, now) -> None:
    if closes_at is None or closes_at <= now:
        shown = f"{timezone.localtime(closes_at):%Y-%m-%d %H:%M}" if closes_at else "未填写"
        raise e.SurveyError(e.CLOSES_IN_PAST.format(closes_at=shown), field="closes_at")


def parse_options(text: str) -> list[str]:
    """One option per line (or separated by 、/；), trimmed, empty ones dropped."""
    raw = (text or "").replace("\r", "\n").replace("；", "\n").replace("、", "\n")
    return [line.strip()[:100] for line in raw.split("\n") if line.strip()]


@transaction.atomic
def question_save(*, actor: Actor, survey: Survey, text: str, kind: str, topic: str,
                  options: list[str] | None = None, required: bool = True,
                  question_id: int | None = None) -> Question:
    """Add a question at the end, or change ``question_id``; drafts only."""
    survey = _editable(survey, actor)
    questions = questions_of(survey)
    if question_id is not None:
        question = next((q for q in questions if q.pk == question_id), None)
        if question is None:
            raise e.SurveyError(e.QUESTION_NOT_IN_SURVEY.format(number=question_id))
        position = questions.index(question) + 1
    else:
        question = Question(survey=survey,
                            number=max((q.number for q in questions), default=0) + 1)
        position = len(questions) + 1
    text = (text or "").strip()
    if not text:
        raise e.SurveyError(e.QUESTION_TEXT_REQUIRED.format(number=position), field="text")
    question.text, question.kind, question.topic = text[:200], kind, topic
    question.options = list(options or []) if kind == K.CHOICE else []
    question.required = bool(required)
    try:
        question.full_clean(exclude=["survey"])
    except Exception as exc:  # ValidationError: name the question and the reason
        reasons = getattr(exc, "messages", None) or [str(exc)]
        raise e.SurveyError(e.OPTIONS_BAD.format(number=position, reason="；".join(reasons)),
                            field="options") from None
    question.save()
    return question


@transaction.atomic
def question_delete(*, actor: Actor, survey: Survey, question_id: int) -> None:
    survey = _editable(survey, actor)
    deleted, _ = Question.objects.filter(survey=survey, pk=question_id).delete()
    if not deleted:
        raise e.SurveyError(e.QUESTION_NOT_IN_SURVEY.format(number=question_id))


@transaction.atomic
def question_move(*, actor: Actor, survey: Survey, question_id: int, up: bool) -> None:
    """Swap a question with its neighbour (numbers are an order, not shown as such)."""
    survey = _editable(survey, actor)
    questions = questions_of(survey)
    index = next((i for i, q in enumerate(questions) if q.pk == question_id), None)
    if index is None:
        raise e.SurveyError(e.QUESTION_NOT_IN_SURVEY.format(number=question_id))
    other = index - 1 if up else index + 1
    if not 0 <= other < len(questions):
        return
    a, b = questions[index], questions[other]
    # Through a free number: (survey, number) is unique at every step.
    free = max(q.number for q in questions) + 1
    a_number, b_number = a.number, b.number
    Question.objects.filter(pk=a.pk).update(number=free)
    Question.objects.filter(pk=b.pk).update(number=a_number)
    Question.objects.filter(pk=a.pk).update(number=b_number)


def _guardian_specs(survey: Survey, invited) -> list[NoticeSpec]:
    guardians = (Guardian.objects.filter(school=survey.school, user__isnull=False,
                                         student_links__student__in=invited)
                 .select_related("user").distinct())
    url = reverse("surveys:my")
    closes = short_moment_text(survey.closes_at)
    return [NoticeSpec(user=g.user, title=f"请填写：{survey.title}"[:100],
                       body=f"问卷不记名，约需 3 分钟，{closes}截止。", url=url, email=g.email,
                       key=f"survey:{survey.pk}") for g in guardians]


@transaction.atomic
def survey_publish(*, actor: Actor, survey: Survey, now: dt.datetime | None = None):
    """Open the survey to the families of the children who attended the term, and tell them.

    Returns the notice report (how many families were told)."""
    _require_office(actor)
    now = now or timezone.now()
    survey = _locked(survey, actor)
    questions = questions_of(survey)
    if not questions:
        raise e.SurveyError(e.NO_QUESTIONS.format(title=survey.title))
    if not any(q.kind == K.SCALE for q in questions):
        raise e.SurveyError(e.NO_SCALE_QUESTION.format(title=survey.title))
    _check_closes_at(survey.closes_at, now)
    invited = attended_students(survey.term)
    count = invited.count()
    if not count and survey.status == S.DRAFT:
        raise e.SurveyError(e.NOBODY_ATTENDED.format(term=survey.term.name))
    SURVEY_MACHINE.transition(survey, S.OPEN, actor=actor, at=now,
                              values={"opened_at": now, "invited": count})
    return notices_send(school=survey.school, specs=_guardian_specs(survey, invited))


@transaction.atomic
def survey_close(*, actor: Actor | None, survey: Survey, comment: str = "",
                 now: dt.datetime | None = None) -> Survey:
    """Close it: no answer is taken or changed any more. ``actor=None`` is the beat."""
    if actor is not None:
        _require_office(actor)
    now = now or timezone.now()
    survey = _locked(survey, actor)
    SURVEY_MACHINE.transition(survey, S.CLOSED, actor=actor, comment=comment, at=now,
                              values={"closed_at": now,
                                      "invited": attended_students(survey.term).count()})
    return survey


@transaction.atomic
def survey_reopen(*, actor: Actor, survey: Survey, closes_at: dt.datetime, comment: str,
                  now: dt.datetime | None = None) -> Survey:
    _require_office(actor)
    now = now or timezone.now()
    survey = _locked(survey, actor)
    _check_closes_at(closes_at, now)
    SURVEY_MACHINE.transition(survey, S.OPEN, actor=actor, comment=comment, at=now,
                              values={"closes_at": closes_at, "closed_at": None})
    return survey


def surveys_close_due(*, now: dt.datetime | None = None) -> int:
    """The beat's sweep: close every open survey past its deadline (each in its own
    transaction; safe to run twice)."""
    now = now or timezone.now()
    closed = 0
    for survey in Survey.objects.filter(status=S.OPEN, closes_at__lte=now).only("pk"):
        with transaction.atomic():
            locked = Survey.objects.select_for_update().get(pk=survey.pk)
            if locked.status == S.OPEN and locked.closes_at <= now:
                survey_close(actor=None, survey=locked, comment="到截止时间自动结束", now=now)
                closed += 1
    return closed


@transaction.atomic
def policy_update(*, actor: Actor, min_answers: int) -> SurveyPolicy:
    if actor is None or actor.school is None or not actor.has(Role.COORDINATOR):
        raise e.SurveyError(e.POLICY_NOT_ALLOWED)
    policy, _ = SurveyPolicy.objects.select_for_update().get_or_create(school=actor.school)
    policy.min_answers = min_answers
    policy.full_clean()
    policy.save(update_fields=["min_answers"])
    return policy


# ---------------------------------------------------------------------------- the family


@dataclass(frozen=True)
class CleanAnswer:
    question: Question
    scale: int | None = None
    choice: str = ""
    text: str = ""


def clean_answers(questions: list[Question], raw: dict) -> list[CleanAnswer]:
    """Every answer checked against its question before anything is written; the first
    problem is raised, naming the question by its position on the page."""
    known = {q.pk for q in questions}
    for question_id in raw:
        if question_id not in known:
            raise e.SurveyError(e.ANSWER_UNKNOWN_QUESTION.format(value=question_id))
    cleaned = []
    for position, question in enumerate(questions, start=1):
        value = str(raw.get(question.pk) or "").replace("\x00", "").strip()
        if not value:
            if question.required:
                raise e.SurveyError(e.ANSWER_REQUIRED.format(number=position,
                                                             text=question.text),
                                    field=f"q{question.pk}")
            continue
        if question.kind == K.SCALE:
            if not value.isdigit() or not SCALE_MIN <= int(value) <= SCALE_MAX:
                raise e.SurveyError(e.ANSWER_SCALE_BAD.format(number=position, value=value[:20]),
                                    field=f"q{question.pk}")
            cleaned.append(CleanAnswer(question, scale=int(value)))
        elif question.kind == K.CHOICE:
            if value not in question.options:
                raise e.SurveyError(e.ANSWER_CHOICE_BAD.format(number=position,
                                                               value=value[:20]),
                                    field=f"q{question.pk}")
            cleaned.append(CleanAnswer(question, choice=value))
        else:
            if len(value) > TEXT_LIMIT:
                raise e.SurveyError(e.ANSWER_TEXT_TOO_LONG.format(number=position,
                                                                  length=len(value)),
                                    field=f"q{question.pk}")
            cleaned.append(CleanAnswer(question, text=value))
    return cleaned


def _write(response: SurveyResponse, cuts: Cuts, answers: list[CleanAnswer]) -> None:
    response.answers.all().delete()
    SurveyAnswer.objects.bulk_create([
        SurveyAnswer(response=response, question=a.question, scale=a.scale, choice=a.choice,
                     text=a.text) for a in answers])
    response.courses.set(cuts.course_ids)
    response.tutors.set(cuts.tutor_ids)


@transaction.atomic
def response_submit(*, actor: Actor, survey: Survey, student: Student, answers: dict,
                    revision: int = 0, now: dt.datetime | None = None) -> SurveyResponse:
    """Save the child's answer, or change it (``revision``: the answer's revision the form
    showed, 0 for none). One answer per child per survey; only while the survey is open."""
    now = now or timezone.now()
    survey = _locked(survey, None)
    if actor is None or actor.school is None or survey.school_id != actor.school.pk \
            or not children_of(actor).filter(pk=student.pk).exists():
        raise e.SurveyError(e.NOT_YOUR_CHILD.format(student=student.name))
    if not survey.accepts_answers(now):
        state = (e.SURVEY_CLOSED_AT.format(closes_at=short_moment_text(survey.closes_at))
            if survey.status != S.DRAFT else "尚未发布")
        raise e.SurveyError(e.SURVEY_NOT_OPEN.format(title=survey.title, state=state))
    if not has_attended(survey.term, student):
        raise e.SurveyError(e.NOT_INVITED.format(student=student.name))
    cleaned = clean_answers(questions_of(survey), answers)
    cuts = cuts_of(survey.term, [student])[student.pk]
    found = (Respondent.objects.select_for_update()
             .filter(survey=survey, key__in=candidate_keys(survey.pk, student.pk))
             .select_related("response").first())
    if found is not None:
        response = found.response
        if revision != response.revision:
            raise e.SurveyError(e.ANSWER_STALE if revision else
                                e.ANSWER_RACE.format(student=student.name))
        response.grade_id, response.homeroom_id = cuts.grade_id, cuts.homeroom_id
        response.revision += 1
        response.save(update_fields=["grade", "homeroom", "revision"])
    else:
        if revision:
            raise e.SurveyError(e.ANSWER_STALE)
        response = SurveyResponse(survey=survey, grade_id=cuts.grade_id,
                                  homeroom_id=cuts.homeroom_id)
        clean(response)
        response.save()
        try:
            with transaction.atomic():
                Respondent.objects.create(survey=survey, response=response,
                                          key=respondent_key(survey.pk, student.pk))
        except IntegrityError:
            raise e.SurveyError(e.ANSWER_RACE.format(student=student.name)) from None
    _write(response, cuts, cleaned)
    return response


def responses_bulk_create(*, survey: Survey, answers: dict[Student, dict[int, str]]) -> int:
    """Many children's first answers at once (the demo, the district generator): the same rows
    :func:`response_submit` writes — the same checks of each answer, the same cuts, one
    respondent key each — in a handful of queries. Children already answered are skipped."""
    students = list(answers)
    if not students:
        return 0
    questions = questions_of(survey)
    existing = set(Respondent.objects.filter(survey=survey).values_list("key", flat=True))
    todo = [s for s in students if respondent_key(survey.pk, s.pk) not in existing]
    if not todo:
        return 0
    cleaned = {s.pk: clean_answers(questions, answers[s]) for s in todo}
    cuts = cuts_of(survey.term, todo)
    responses = SurveyResponse.objects.bulk_create([
        SurveyResponse(survey=survey, grade_id=cuts[s.pk].grade_id,
                       homeroom_id=cuts[s.pk].homeroom_id) for s in todo], batch_size=2000)
    Respondent.objects.bulk_create([
        Respondent(survey=survey, response=r, key=respondent_key(survey.pk, s.pk))
        for s, r in zip(todo, responses, strict=True)], batch_size=2000)
    SurveyAnswer.objects.bulk_create([
        SurveyAnswer(response=r, question=a.question, scale=a.scale, choice=a.choice, text=a.text)
        for s, r in zip(todo, responses, strict=True) for a in cleaned[s.pk]], batch_size=5000)
    courses = SurveyResponse.courses.through
    tutors = SurveyResponse.tutors.through
    courses.objects.bulk_create([
        courses(surveyresponse_id=r.pk, course_id=c)
        for s, r in zip(todo, responses, strict=True) for c in cuts[s.pk].course_ids],
        batch_size=5000)
    tutors.objects.bulk_create([
        tutors(surveyresponse_id=r.pk, staff_id=t)
        for s, r in zip(todo, responses, strict=True) for t in cuts[s.pk].tutor_ids],
        batch_size=5000)
    return len(todo)

