"""Satisfaction surveys (满意度调查): questionnaires, anonymous answers, the respondent key.

The shape, in one place:

- :class:`SurveyPolicy` is a school's survey settings: the fewest answers a cut of the results
  (a grade, a homeroom, a course, a tutor) must have to be shown (5 by default).
- :class:`Survey` is one questionnaire of one term, a state machine (draft → open → closed)
  declared with :mod:`afterschool.workflow`; :class:`Question` its editable questions (a 1–5
  scale, a single choice, free text), each about a topic (safety, homework, clubs, tutors,
  overall).
- :class:`SurveyResponse` is one child's answers, **anonymous**: it names no child, guardian or
  login, only what the results are cut by — the child's grade and homeroom, the courses taken
  and the tutors who taught the child that term, copied when the answer is saved. It keeps no
  time of submission either (a time could be matched to a login record).
- :class:`Respondent` is the only tie between a child and a response, and it is kept apart:
  it holds a keyed hash of (survey, child) made with the site's secret key
  (:mod:`surveys.anonymity`), never the child's id. Its unique constraint is the rule "one
  answer per child per survey"; the family finds its own response again through it to edit it
  until the survey closes. No staff selector, view or export reads it, and reading the
  database alone does not reverse it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from afterschool.models import Grade, Homeroom, School, Staff, Term
from courses.models import Course

# 1 非常不满意 … 5 非常满意; 4 and 5 count as satisfied (满意、非常满意).
SCALE_MIN, SCALE_MAX = 1, 5
SATISFIED_FROM = 4
MAX_OPTIONS = 10


class SurveyPolicy(models.Model):
    """A school's survey settings; a school without a row uses the defaults."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="survey_policy", verbose_name="学校")
    # A cut with fewer answers than this is not shown, so no family's answer can be singled
    # out; also the fewest answers a tutor needs before the assessment reads a figure.
    min_answers = models.PositiveSmallIntegerField(
        "分组最少答卷数", default=5, validators=[MinValueValidator(3), MaxValueValidator(50)],
        help_text="某个年级、班级、课程或辅导教师的答卷少于这个数时不显示其结果")

    class Meta:
        verbose_name = "满意度调查设置"
        verbose_name_plural = "满意度调查设置"

    def __str__(self):
        return f"{self.school}的满意度调查设置"


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结束"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="surveys",
                               verbose_name="学校")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="surveys",
                             verbose_name="学期")
    title = models.CharField("调查名称", max_length=100)
    intro = models.TextField("致家长", blank=True, max_length=1000)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    closes_at = models.DateTimeField("截止时间")
    # Children invited when the survey opened (those who attended the service that term).
    invited = models.PositiveIntegerField("邀请学生数", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    opened_at = models.DateTimeField("发布时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "满意度调查"
        verbose_name_plural = "满意度调查"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["term", "title"], name="survey_unique_title"),
            models.CheckConstraint(condition=~Q(status="open") | Q(opened_at__isnull=False),
                                   name="survey_open_has_time"),
        ]

    def __str__(self):
        return self.title

    def accepts_answers(self, at=None) -> bool:
        return self.status == self.Status.OPEN and (at or timezone.now()) < self.closes_at


class SurveyChange(models.Model):
    """The history of a survey's moves (codes, as :mod:`afterschool.workflow` writes)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="changes",
                               verbose_name="调查")
    from_status = models.CharField("原状态", max_length=20, choices=Survey.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=Survey.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name="操作人")
    actor_role = models.CharField("操作身份", max_length=30, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    comment = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "调查记录"
        verbose_name_plural = "调查记录"
        ordering = ["survey", "at", "pk"]

    def __str__(self):
        return f"{self.survey}: {self.from_status} → {self.to_status}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", "满意度（1–5 分）"
        CHOICE = "choice", "单选"
        TEXT = "text", "文字"

    class Topic(models.TextChoices):
        SAFETY = "safety", "安全管理"
        HOMEWORK = "homework", "作业辅导"
        CLUBS = "clubs", "社团与特色课程"
        TUTORS = "tutors", "辅导教师"
        OVERALL = "overall", "总体满意度"
        OTHER = "other", "其他"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions",
                               verbose_name="调查")
    number = models.PositiveSmallIntegerField("题号", validators=[MinValueValidator(1)])
    text = models.CharField("题目", max_length=200)
    kind = models.CharField("题型", max_length=20, choices=Kind.choices, default=Kind.SCALE)
    topic = models.CharField("内容", max_length=20, choices=Topic.choices, default=Topic.OTHER)
    # The options of a single-choice question, in order.
    options = models.JSONField("选项", default=list, blank=True)
    required = models.BooleanField("必答", default=True)

    class Meta:
        verbose_name = "题目"
        verbose_name_plural = "题目"
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="question_unique_number"),
        ]

    def __str__(self):
        return f"{self.number}. {self.text}"

    def clean(self):
        options = self.options if isinstance(self.options, list) else None
        if options is None:
            raise ValidationError({"options": "选项格式不正确。"})
        if self.kind == self.Kind.CHOICE:
            if len(options) < 2:
                raise ValidationError({"options": "单选题至少要有 2 个选项。"})
            if len(options) > MAX_OPTIONS:
                raise ValidationError({"options": f"单选题最多 {MAX_OPTIONS} 个选项。"})
            if len(set(options)) != len(options):
                raise ValidationError({"options": "选项不能重复。"})
        elif options:
            raise ValidationError({"options": "只有单选题有选项。"})


class SurveyResponse(models.Model):
    """One child's answers, without the child: only what the results are cut by."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses",
                               verbose_name="调查")
    grade = models.ForeignKey(Grade, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name="年级")
    homeroom = models.ForeignKey(Homeroom, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name="班级")
    courses = models.ManyToManyField(Course, related_name="+", blank=True,
                                     verbose_name="参加的课程")
    tutors = models.ManyToManyField(Staff, related_name="+", blank=True,
                                    verbose_name="辅导教师")
    # Bumped by every save: an edit built from an older answer (the other parent changed it
    # meanwhile) is refused instead of silently overwriting it.
    revision = models.PositiveIntegerField("版本", default=1)

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"
        indexes = [models.Index(fields=["survey", "homeroom"])]

    def __str__(self):
        return f"{self.survey}的答卷"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE,
                                 related_name="answers", verbose_name="答卷")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers",
                                 verbose_name="题目")
    scale = models.PositiveSmallIntegerField(
        "评分", null=True, blank=True,
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)])
    choice = models.CharField("选项", max_length=100, blank=True)
    text = models.TextField("文字回答", max_length=500, blank=True)

    class Meta:
        verbose_name = "回答"
        verbose_name_plural = "回答"
        constraints = [
            models.UniqueConstraint(fields=["response", "question"],
                                    name="answer_one_per_question"),
            models.CheckConstraint(
                condition=Q(scale__isnull=True) | Q(scale__gte=SCALE_MIN, scale__lte=SCALE_MAX),
                name="answer_scale_in_range"),
        ]
        indexes = [models.Index(fields=["question", "scale"])]

    def __str__(self):
        return f"{self.question_id}: {self.scale or self.choice or self.text[:20]}"


class Respondent(models.Model):
    """The tie between a child and a response, as a keyed hash: one answer per child."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+",
                               verbose_name="调查")
    key = models.CharField("答卷人标识", max_length=64)
    response = models.OneToOneField(SurveyResponse, on_delete=models.CASCADE,
                                    related_name="+", verbose_name="答卷")

    class Meta:
        verbose_name = "答卷人"
        verbose_name_plural = "答卷人"
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="respondent_one_per_child"),
        ]

    def __str__(self):
        return "答卷人"
