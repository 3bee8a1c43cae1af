"""Reads of the surveys for staff and other apps: aggregates only.

Nothing here reads :class:`~surveys.models.Respondent` (the family side is
:mod:`surveys.family`), and nothing returns a response, a child or a guardian: the results are
counts and rates per question and per cut, each cut shown only with at least the school's
``min_answers`` answers (:class:`~surveys.models.SurveyPolicy`).

A small cut is also protected from subtraction: within a partition whose total is shown (the
grades of the school, the homerooms of one grade, the courses and the tutors of the school),
the hidden groups together must hold at least ``min_answers`` answers and be more than one
group — otherwise the next smallest groups are hidden too (secondary suppression), so no
hidden group can be worked out from the shown ones and the total.

``satisfaction_by_tutor(school, term)`` is the figure the assessment (evaluation) reads.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from afterschool.models import Grade, Homeroom, School, Staff, Student, Term
from attendance.models import AttendanceRecord, Lesson
from courses.models import Course, Section

from .access import policy_of
from .display import CUTS, SCALE_LABELS, percent
from .models import (
    SATISFIED_FROM,
    SCALE_MAX,
    SCALE_MIN,
    Question,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)

ATTENDED = (AttendanceRecord.Status.PRESENT, AttendanceRecord.Status.LATE)
PHONE = re.compile(r"1\d{10}")

# ---------------------------------------------------------------------------- who is invited


def attended_students(term: Term) -> QuerySet[Student]:
    """Children who attended the service in ``term`` at least once (出勤 or 迟到): the survey's
    invitees."""
    records = AttendanceRecord.objects.filter(lesson__term=term, status__in=ATTENDED)
    return Student.objects.filter(pk__in=records.values("student_id"), is_active=True)


def has_attended(term: Term, student: Student) -> bool:
    return AttendanceRecord.objects.filter(lesson__term=term, student=student,
                                           status__in=ATTENDED).exists()


@dataclass(frozen=True)
class Cuts:
    """What a child's response is cut by, copied onto it when it is saved."""

    grade_id: int | None
    homeroom_id: int | None
    course_ids: frozenset = frozenset()
    tutor_ids: frozenset = frozenset()


def cuts_of(term: Term, students: list[Student]) -> dict[int, Cuts]:
    """For each child: grade, homeroom, the term's courses attended and their tutors.

    Three grouped queries whatever the number of children: the lessons a child was expected
    at in the term give the courses (a section's lesson) and the tutors (every tutor of those
    lessons: the club's instructor, the homework group's teacher).
    """
    ids = [s.pk for s in students]
    records = AttendanceRecord.objects.filter(lesson__term=term, student_id__in=ids)
    sections = defaultdict(set)
    for student_id, section_id in (records.filter(lesson__kind=Lesson.Kind.COURSE,
                                                  lesson__section_id__isnull=False)
                                   .values_list("student_id", "lesson__section_id").distinct()):
        sections[student_id].add(section_id)
    course_of = dict(Section.objects.filter(
        pk__in={s for found in sections.values() for s in found}).values_list("pk", "course_id"))
    tutors = defaultdict(set)
    for student_id, staff_id in (records.filter(lesson__tutors__isnull=False)
                                 .values_list("student_id", "lesson__tutors").distinct()):
        tutors[student_id].add(staff_id)
    return {s.pk: Cuts(grade_id=s.homeroom.grade_id, homeroom_id=s.homeroom_id,
                       course_ids=frozenset(course_of[x] for x in sections[s.pk] if x in course_of),
                       tutor_ids=frozenset(tutors[s.pk]))
            for s in students}


# ---------------------------------------------------------------------------- lists


def surveys_with_counts(qs: QuerySet[Survey]) -> QuerySet[Survey]:
    """With the answers' and the questions' counts, each a correlated subquery: joining both
    and counting distinct rows multiplied a survey's answers by its questions (30 ms for the
    demo's 326 answers on the office's home page)."""

    def count(model):
        return Coalesce(Subquery(model.objects.filter(survey=OuterRef("pk")).order_by()
                                 .values("survey").annotate(n=Count("pk")).values("n")[:1]),
                        0)

    return qs.select_related("term").annotate(
        response_count=count(SurveyResponse), question_count=count(Question)).order_by(
        "-created_at", "-pk")


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("number"))


# ---------------------------------------------------------------------------- results


@dataclass
class QuestionResult:
    question: Question
    position: int
    answered: int = 0
    counts: dict = field(default_factory=dict)    # scale value or option → answers
    satisfied: int = 0
    total_score: int = 0

    @property
    def rate(self) -> float | None:
        if self.question.kind != Question.Kind.SCALE:
            return None
        return percent(self.satisfied, self.answered)

    @property
    def mean(self) -> float | None:
        return round(self.total_score / self.answered, 2) if self.answered else None

    @property
    def bars(self) -> list[tuple[str, int, float | None]]:
        """(label, answers, share %) in the order the family saw them."""
        if self.question.kind == Question.Kind.SCALE:
            keys = list(range(SCALE_MAX, SCALE_MIN - 1, -1))
            labels = [f"{SCALE_LABELS[k]}（{k}分）" for k in keys]
        else:
            keys = list(self.question.options)
            labels = keys
        return [(label, self.counts.get(k, 0), percent(self.counts.get(k, 0), self.answered))
                for k, label in zip(keys, labels, strict=True)]


@dataclass
class CutRow:
    key: int
    label: str
    responses: int
    parent: int | None = None
    suppressed: bool = False
    # question id → (answered, satisfied)
    questions: dict = field(default_factory=dict)
    headline: tuple = (0, 0)

    @property
    def rate(self) -> float | None:
        return None if self.suppressed else percent(self.headline[1], self.headline[0])

    def question_rate(self, question_id: int, min_answers: int) -> float | None:
        answered, satisfied = self.questions.get(question_id, (0, 0))
        if self.suppressed or answered < min_answers:
            return None
        return percent(satisfied, answered)


@dataclass
class Results:
    survey: Survey
    min_answers: int
    responses: int
    questions: list[QuestionResult]
    headline_ids: list[int]
    invited: int = 0
    cuts: dict[str, list[CutRow]] = field(default_factory=dict)
    texts: dict[int, list[str]] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.responses >= self.min_answers

    @property
    def scale_questions(self) -> list[QuestionResult]:
        return [q for q in self.questions if q.question.kind == Question.Kind.SCALE]

    @property
    def satisfied(self) -> int:
        return sum(q.satisfied for q in self.questions if q.question.pk in self.headline_ids)

    @property
    def answered(self) -> int:
        return sum(q.answered for q in self.questions if q.question.pk in self.headline_ids)

    @property
    def rate(self) -> float | None:
        return percent(self.satisfied, self.answered) if self.shown else None

    @property
    def response_rate(self) -> float | None:
        return percent(self.responses, self.invited)


def headline_questions(questions: list[Question]) -> list[int]:
    """The questions the satisfaction rate is read from: the overall ones, else every scale
    question."""
    scale = [q for q in questions if q.kind == Question.Kind.SCALE]
    overall = [q.pk for q in scale if q.topic == Question.Topic.OVERALL]
    return overall or [q.pk for q in scale]


def _question_results(survey: Survey, questions: list[Question]) -> list[QuestionResult]:
    found = {q.pk: QuestionResult(question=q, position=i)
             for i, q in enumerate(questions, start=1)}
    rows = (SurveyAnswer.objects.filter(response__survey=survey)
            .exclude(scale__isnull=True, choice="")
            .values_list("question_id", "scale", "choice").annotate(n=Count("pk")).order_by())
    for question_id, scale, choice, n in rows:
        result = found.get(question_id)
        if result is None:
            continue
        key = scale if scale is not None else choice
        result.counts[key] = result.counts.get(key, 0) + n
        result.answered += n
        if scale is not None:
            result.total_score += scale * n
            if scale >= SATISFIED_FROM:
                result.satisfied += n
    return list(found.values())


def texts_of(survey: Survey) -> dict[int, list[str]]:
    """Free-text answers per question, without names: in the order of the text itself (not of
    arrival, which could be matched to who answered when), phone numbers masked."""
    found = defaultdict(list)
    rows = (SurveyAnswer.objects.filter(response__survey=survey,
                                        question__kind=Question.Kind.TEXT)
            .exclude(text="").values_list("question_id", "text").order_by("question_id", "text"))
    for question_id, text in rows:
        found[question_id].append(PHONE.sub("1**********", text))
    return dict(found)


_FIELDS = {"grade": "grade_id", "homeroom": "homeroom_id", "course": "courses",
           "tutor": "tutors"}


def _labels(cut: str, keys) -> dict[int, tuple[str, int | None, tuple]]:
    """key → (label, parent key, sort key)."""
    if cut == "grade":
        return {g.pk: (g.name, None, (g.number,)) for g in Grade.objects.filter(pk__in=keys)}
    if cut == "homeroom":
        return {h.pk: (h.name, h.grade_id, (h.grade.number, h.number))
                for h in Homeroom.objects.filter(pk__in=keys).select_related("grade")}
    if cut == "course":
        return {c.pk: (c.name, None, (c.name,)) for c in Course.objects.filter(pk__in=keys)}
    return {s.pk: (s.name, None, (s.name,)) for s in Staff.objects.filter(pk__in=keys)}


def suppress(rows: list[CutRow], min_answers: int) -> None:
    """Hide every group under ``min_answers``, then within each partition (same ``parent``)
    hide the next smallest until the hidden ones are none, or several holding ``min_answers``
    or more together."""
    by_parent = defaultdict(list)
    for row in rows:
        row.suppressed = row.responses < min_answers
        by_parent[row.parent].append(row)
    for group in by_parent.values():
        while True:
            hidden = [r for r in group if r.suppressed]
            shown = sorted((r for r in group if not r.suppressed), key=lambda r: r.responses)
            if not hidden or not shown:
                break
            if len(hidden) > 1 and sum(r.responses for r in hidden) >= min_answers:
                break
            shown[0].suppressed = True


def cut_rows(survey: Survey, cut: str, headline_ids: list[int], min_answers: int) -> list[CutRow]:
    """One dimension of the results, suppression applied: two grouped queries and the labels."""
    name = _FIELDS[cut]
    counts = (SurveyResponse.objects.filter(survey=survey).exclude(**{f"{name}__isnull": True})
              .values_list(name).annotate(n=Count("pk", distinct=True)).order_by())
    responses = dict(counts)
    labels = _labels(cut, list(responses))
    rows = {key: CutRow(key=key, label=labels[key][0], parent=labels[key][1], responses=n)
            for key, n in responses.items() if key in labels}
    answers = (SurveyAnswer.objects.filter(response__survey=survey, scale__isnull=False)
               .exclude(**{f"response__{name}__isnull": True})
               .values_list(f"response__{name}", "question_id")
               .annotate(answered=Count("pk"),
                         satisfied=Count("pk", filter=Q(scale__gte=SATISFIED_FROM)))
               .order_by())
    for key, question_id, answered, satisfied in answers:
        row = rows.get(key)
        if row is None:
            continue
        row.questions[question_id] = (answered, satisfied)
        if question_id in headline_ids:
            row.headline = (row.headline[0] + answered, row.headline[1] + satisfied)
    ordered = sorted(rows.values(), key=lambda r: labels[r.key][2])
    suppress(ordered, min_answers)
    for row in ordered:
        if row.suppressed:  # nothing of a hidden group leaves this function
            row.questions, row.headline = {}, (0, 0)
    return ordered


def survey_results(survey: Survey, *, cuts=tuple(CUTS)) -> Results:
    """The whole survey and each cut; when fewer than ``min_answers`` answered in all, the
    counts say so and nothing else is shown."""
    min_answers = policy_of(survey.school).min_answers
    questions = questions_of(survey)
    headline_ids = headline_questions(questions)
    responses = SurveyResponse.objects.filter(survey=survey).count()
    # Children who attended so far (those who joined after the survey opened may answer too).
    invited = attended_students(survey.term).count() if survey.status != survey.Status.DRAFT else 0
    results = Results(survey=survey, min_answers=min_answers, responses=responses,
                      questions=[], headline_ids=headline_ids, invited=invited)
    if not results.shown:
        results.questions = [QuestionResult(question=q, position=i)
                             for i, q in enumerate(questions, start=1)]
        return results
    results.questions = _question_results(survey, questions)
    results.texts = texts_of(survey)
    for cut in cuts:
        results.cuts[cut] = cut_rows(survey, cut, headline_ids, min_answers)
    return results


@dataclass
class GroupResults:
    """One shown group of a cut: its distributions per question (never its free text)."""

    cut: str
    row: CutRow
    questions: list[QuestionResult]


def group_results(survey: Survey, cut: str, key: int) -> GroupResults | None:
    """The group ``key`` of ``cut``, or None when it does not exist or is hidden (too few
    answers, by itself or by secondary suppression): the caller refuses either way alike."""
    if cut not in _FIELDS:
        return None
    results = survey_results(survey, cuts=(cut,))
    if not results.shown:
        return None
    row = next((r for r in results.cuts[cut] if r.key == key), None)
    if row is None or row.suppressed:
        return None
    name = _FIELDS[cut]
    questions = [QuestionResult(question=q.question, position=q.position)
                 for q in results.questions if q.question.kind != Question.Kind.TEXT]
    by_id = {q.question.pk: q for q in questions}
    rows = (SurveyAnswer.objects.filter(response__survey=survey, **{f"response__{name}": key})
            .exclude(scale__isnull=True, choice="")
            .values_list("question_id", "scale", "choice").annotate(n=Count("pk")).order_by())
    for question_id, scale, choice, n in rows:
        result = by_id.get(question_id)
        if result is None:
            continue
        value = scale if scale is not None else choice
        result.counts[value] = result.counts.get(value, 0) + n
        result.answered += n
        if scale is not None:
            result.total_score += scale * n
            result.satisfied += n if scale >= SATISFIED_FROM else 0
    # A question with fewer answers than the threshold in this group is left out.
    shown = [q for q in questions if q.answered >= results.min_answers]
    return GroupResults(cut=cut, row=row, questions=shown)


# ---------------------------------------------------------------------------- for other apps


@dataclass(frozen=True)
class TutorSatisfaction:
    staff_id: int
    responses: int      # families of children the tutor taught who answered
    answered: int       # answers to the questions read (the tutor questions, else overall)
    satisfied: int      # of which 满意 or 非常满意

    @property
    def rate(self) -> float:
        return round(100 * self.satisfied / self.answered, 1) if self.answered else 0.0


def _tutor_question_ids(surveys: list[Survey]) -> list[int]:
    """Per survey: its tutor questions, else its overall ones, else its scale questions."""
    ids = []
    by_survey = defaultdict(list)
    for q in Question.objects.filter(survey__in=surveys, kind=Question.Kind.SCALE):
        by_survey[q.survey_id].append(q)
    for questions in by_survey.values():
        tutors = [q.pk for q in questions if q.topic == Question.Topic.TUTORS]
        ids += tutors or headline_questions(questions)
    return ids


def satisfaction_by_tutor(school: School, term: Term) -> dict[int, TutorSatisfaction]:
    """Guardians' satisfaction per tutor for ``term``: staff id → figures, only for tutors
    with at least the school's ``min_answers`` responses (the others are absent, not zero).

    Read from every published survey of the term (open or closed): the answers of the families
    whose child the tutor taught, to the survey's tutor questions (辅导教师), else its overall
    question. Three queries.
    """
    surveys = list(Survey.objects.filter(school=school, term=term)
                   .exclude(status=Survey.Status.DRAFT))
    if not surveys:
        return {}
    min_answers = policy_of(school).min_answers
    question_ids = _tutor_question_ids(surveys)
    responses = dict(SurveyResponse.objects.filter(survey__in=surveys, tutors__isnull=False)
                     .values_list("tutors").annotate(n=Count("pk", distinct=True)).order_by())
    answers = (SurveyAnswer.objects.filter(question_id__in=question_ids, scale__isnull=False,
                                           response__tutors__isnull=False)
               .values_list("response__tutors")
               .annotate(answered=Count("pk"),
                         satisfied=Count("pk", filter=Q(scale__gte=SATISFIED_FROM)))
               .order_by())
    found = {}
    for staff_id, answered, satisfied in answers:
        n = responses.get(staff_id, 0)
        if n >= min_answers and answered:
            found[staff_id] = TutorSatisfaction(staff_id=staff_id, responses=n,
                                                answered=answered, satisfied=satisfied)
    return found


@dataclass(frozen=True)
class SchoolSatisfaction:
    responses: int
    answered: int
    satisfied: int
    invited: int

    @property
    def rate(self) -> float | None:
        return percent(self.satisfied, self.answered)


def school_satisfaction(school_id: int, term_id: int, min_answers: int | None = None
                        ) -> SchoolSatisfaction | None:
    """The school's overall satisfaction for a term (every published survey of it), or None
    when there is none or fewer than ``min_answers`` responses (the dashboards read this)."""
    surveys = list(Survey.objects.filter(school_id=school_id, term_id=term_id)
                   .exclude(status=Survey.Status.DRAFT))
    if not surveys:
        return None
    if min_answers is None:
        min_answers = policy_of(School(pk=school_id)).min_answers
    by_survey = defaultdict(list)
    for q in Question.objects.filter(survey__in=surveys, kind=Question.Kind.SCALE):
        by_survey[q.survey_id].append(q)
    ids = [i for qs in by_survey.values() for i in headline_questions(qs)]
    responses = SurveyResponse.objects.filter(survey__in=surveys).count()
    if responses < min_answers:
        return None
    counts = SurveyAnswer.objects.filter(question_id__in=ids, scale__isnull=False).aggregate(
        answered=Count("pk"), satisfied=Count("pk", filter=Q(scale__gte=SATISFIED_FROM)))
    return SchoolSatisfaction(responses=responses, answered=counts["answered"],
                              satisfied=counts["satisfied"],
                              invited=sum(s.invited for s in surveys))
