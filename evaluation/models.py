"""Evaluation: the workload ledger and subsidy, the assessment, and the monthly 公示.

The shape, in one place:

- :class:`WorkloadPolicy` is a school's 课时 weights (per lesson type, per duty, per patrol) and
  its subsidy rates per staff type. The ledger itself is not stored: it is read from the
  attendance records (:mod:`evaluation.selectors.ledger`), so a correction of a roll call or a
  late substitution is in the next reading.
- :class:`Statement` is one staff member's month: its lines are the ledger at the time it was
  issued (refreshed while nobody has answered it), the total and the subsidy. The teacher
  confirms it or disputes a line; the office resolves each dispute; then it is final and goes
  to payroll. A state machine (:mod:`evaluation.transitions`) with its history.
- :class:`AssessmentScheme` is the school's 考核评价办法: weights over measured indicators and
  the thresholds of the commendation and follow-up lists. :class:`Assessment` is one month's
  or term's result with each teacher's score and its breakdown; the principal confirms the
  lists.
- :class:`PublicationJob` is one request to build a month's 公示 (the beat's, a coordinator's,
  the shell's), unique per trigger; :class:`Publication` is the version it made, written with
  its content and its .xlsx in one transaction, so a version is whole or absent.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from afterschool.models import School, Staff, StatusChange, Term
from attendance.models import Lesson

ZERO = Decimal("0")
ONE = Decimal("1")


def weight_field(label: str, default: Decimal = ONE) -> models.DecimalField:
    return models.DecimalField(label, max_digits=4, decimal_places=2, default=default,
                               validators=[MinValueValidator(ZERO), MaxValueValidator(10)])


class WorkloadPolicy(models.Model):
    """A school's 课时 weights and subsidy rates; a school without a row uses the defaults
    (every lesson, duty and patrol 1 课时, the core's ``School.subsidy_per_period``)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="workload_policy", verbose_name="学校")
    weight_course = weight_field("特色课程/社团（每节）")
    weight_homework = weight_field("作业辅导（每节）")
    weight_homeroom = weight_field("按班级开展（每节）")
    weight_fixed = weight_field("固定课程，如阅读写字（每节）")
    weight_reading = weight_field("寄宿生晚读（每次）")
    weight_duty = weight_field("值日（每天）")
    # Per day with patrols recorded: a duty teacher records many in a day; the day is the work.
    weight_patrol = weight_field("巡查（每天）", Decimal("0.5"))
    rate_teacher = models.DecimalField(
        "本校教师补助（元/课时）", max_digits=8, decimal_places=2, default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(10000)])
    rate_external = models.DecimalField(
        "校外教师课酬（元/课时）", max_digits=8, decimal_places=2, default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(10000)])
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="修改人")

    class Meta:
        verbose_name = "课时与补助标准"
        verbose_name_plural = "课时与补助标准"

    def __str__(self):
        return f"{self.school}的课时与补助标准"

    def weight_of(self, kind: str) -> Decimal:
        """The 课时 of one delivered lesson of ``kind`` (a ``Lesson.Kind``), duty or patrol."""
        return getattr(self, f"weight_{kind}", ONE)

    def rate_of(self, staff: Staff) -> Decimal:
        return self.rate_external if staff.is_external else self.rate_teacher


class Statement(models.Model):
    """One staff member's month: lines, total 课时 and subsidy (补助)."""

    class Status(models.TextChoices):
        ISSUED = "issued", "待确认"
        DISPUTED = "disputed", "有异议"
        FINAL = "final", "已定稿"

    class StaffType(models.TextChoices):
        TEACHER = "teacher", "本校教师"
        EXTERNAL = "external", "校外教师"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="statements",
                               verbose_name="学校")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="statements",
                              verbose_name="教职工")
    # The first day of the month.
    month = models.DateField("月份")
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.ISSUED, db_index=True)
    staff_type = models.CharField("人员类别", max_length=20, choices=StaffType.choices)
    rate = models.DecimalField("补助标准（元/课时）", max_digits=8, decimal_places=2)
    total = models.DecimalField("课时合计", max_digits=8, decimal_places=2, default=ZERO)
    subsidy = models.DecimalField("补助金额（元）", max_digits=12, decimal_places=2,
                                  default=ZERO)
    issued_at = models.DateTimeField("生成时间", default=timezone.now)
    final_at = models.DateTimeField("定稿时间", null=True, blank=True)
    # Bumped by every write: a page built from an older state is refused, not merged.
    revision = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "课时补助月报"
        verbose_name_plural = "课时补助月报"
        ordering = ["-month", "staff__name"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="statement_one_per_month"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(subsidy__gte=0),
                                   name="statement_amounts_not_negative"),
            models.CheckConstraint(condition=~Q(status="final") | Q(final_at__isnull=False),
                                   name="statement_final_has_time"),
        ]

    def __str__(self):
        return f"{self.staff} {self.month:%Y年%m月}课时补助"


class StatementLine(models.Model):
    """One lesson, duty or patrol of a statement, or an item the teacher says is missing."""

    class Kind(models.TextChoices):
        COURSE = "course", "特色课程"
        HOMEWORK = "homework", "作业辅导"
        HOMEROOM = "homeroom", "按班级开展"
        FIXED = "fixed", "固定课程"
        READING = "reading", "寄宿生晚读"
        DUTY = "duty", "值日"
        PATROL = "patrol", "巡查"
        # Raised by the teacher: something the ledger does not have (a lesson not recorded).
        CLAIM = "claim", "补报"

    class Dispute(models.TextChoices):
        NONE = "", "无"
        OPEN = "open", "待处理"
        ACCEPTED = "accepted", "已采纳"
        DECLINED = "declined", "未采纳"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name="月报")
    # What the line is, e.g. "lesson:12", "duty:3", "claim:1": unique in its statement.
    source = models.CharField("来源", max_length=40)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    date = models.DateField("日期")
    title = models.CharField("内容", max_length=200)
    weight = models.DecimalField("课时", max_digits=6, decimal_places=2,
                                 validators=[MinValueValidator(ZERO)])
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name="课次")
    as_substitute = models.BooleanField("代课", default=False)
    dispute = models.CharField("异议", max_length=20, choices=Dispute.choices, blank=True,
                               default="")
    dispute_reason = models.CharField("异议原因", max_length=200, blank=True)
    disputed_at = models.DateTimeField("提出异议时间", null=True, blank=True)
    corrected_weight = models.DecimalField("更正后课时", max_digits=6, decimal_places=2,
                                           null=True, blank=True,
                                           validators=[MinValueValidator(ZERO)])
    resolution_note = models.CharField("处理意见", max_length=200, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name="处理人")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "月报明细"
        verbose_name_plural = "月报明细"
        ordering = ["statement", "date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "source"],
                                    name="statement_line_unique_source"),
            models.CheckConstraint(condition=~Q(dispute="") | Q(dispute_reason=""),
                                   name="statement_line_reason_only_when_disputed"),
            models.CheckConstraint(condition=Q(dispute="") | ~Q(dispute_reason=""),
                                   name="statement_line_dispute_has_reason"),
            models.CheckConstraint(
                condition=~Q(dispute="accepted") | Q(corrected_weight__isnull=False),
                name="statement_line_accepted_has_weight"),
            models.CheckConstraint(
                condition=~Q(dispute__in=["accepted", "declined"])
                | (~Q(resolution_note="") & Q(resolved_at__isnull=False)),
                name="statement_line_resolution_has_note"),
        ]

    def __str__(self):
        return f"{self.date:%m月%d日} {self.title} {self.weight}"

    @property
    def effective_weight(self) -> Decimal:
        if self.dispute == self.Dispute.ACCEPTED and self.corrected_weight is not None:
            return self.corrected_weight
        return self.weight


class StatementChange(StatusChange):
    """The history of a statement's moves (codes, as :mod:`afterschool.workflow` writes)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="changes",
                                  verbose_name="月报")
    from_status = models.CharField("原状态", max_length=20, choices=Statement.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=Statement.Status.choices)

    class Meta:
        verbose_name = "月报记录"
        verbose_name_plural = "月报记录"
        ordering = ["statement", "at", "pk"]

    def __str__(self):
        return f"{self.statement}: {self.from_status} → {self.to_status}"


class AssessmentScheme(models.Model):
    """The school's 考核评价办法: weights (points) over the measured indicators, the penalties
    that turn findings into a sub-score, and the thresholds of the two lists."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="assessment_scheme", verbose_name="学校")
    weight_delivery = models.PositiveSmallIntegerField(
        "课次完成（权重）", default=40, validators=[MaxValueValidator(100)])
    weight_punctual = models.PositiveSmallIntegerField(
        "按时点名（权重）", default=20, validators=[MaxValueValidator(100)])
    weight_patrol = models.PositiveSmallIntegerField(
        "巡查情况（权重）", default=20, validators=[MaxValueValidator(100)])
    weight_follow_up = models.PositiveSmallIntegerField(
        "整改情况（权重）", default=10, validators=[MaxValueValidator(100)])
    weight_satisfaction = models.PositiveSmallIntegerField(
        "家长满意度（权重）", default=10, validators=[MaxValueValidator(100)])
    finding_penalty = models.PositiveSmallIntegerField(
        "每个巡查问题扣分", default=20, validators=[MaxValueValidator(100)])
    follow_up_penalty = models.PositiveSmallIntegerField(
        "每项未完成整改扣分", default=25, validators=[MaxValueValidator(100)])
    satisfaction_min_answers = models.PositiveSmallIntegerField(
        "满意度至少答卷数", default=10, validators=[MinValueValidator(1)])
    commend_min_score = models.DecimalField(
        "表彰线（不低于）", max_digits=5, decimal_places=1, default=Decimal("95"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(100)])
    # Commendation is for the outstanding: at most this many (those tied at the last place
    # included), however many pass the line.
    commend_limit = models.PositiveSmallIntegerField(
        "表彰名额（最多）", default=5, validators=[MinValueValidator(1), MaxValueValidator(200)])
    follow_up_below_score = models.DecimalField(
        "通报线（低于）", max_digits=5, decimal_places=1, default=Decimal("60"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(100)])
    # A teacher with fewer scheduled lessons in the period is scored but not listed: two
    # lessons say too little either way.
    min_lessons = models.PositiveSmallIntegerField("列入名单至少课次", default=4)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="修改人")

    class Meta:
        verbose_name = "考核评价办法"
        verbose_name_plural = "考核评价办法"
        constraints = [
            models.CheckConstraint(condition=Q(commend_min_score__gt=F("follow_up_below_score")),
                                   name="scheme_commend_above_follow_up"),
            models.CheckConstraint(
                condition=Q(weight_delivery__gt=0) | Q(weight_punctual__gt=0)
                | Q(weight_patrol__gt=0) | Q(weight_follow_up__gt=0)
                | Q(weight_satisfaction__gt=0),
                name="scheme_some_weight"),
        ]

    def __str__(self):
        return f"{self.school}的考核评价办法"


class Assessment(models.Model):
    """One month's or term's assessment of a school's teachers; the lists need the principal."""

    class Period(models.TextChoices):
        MONTH = "month", "月度"
        TERM = "term", "学期"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待校长确认"
        CONFIRMED = "confirmed", "已确认"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="assessments",
                               verbose_name="学校")
    period = models.CharField("周期", max_length=10, choices=Period.choices)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="assessments", verbose_name="学期")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    # Lessons after this day were not due yet when the scores were computed (a term assessed
    # before its end): they count neither for nor against anyone.
    measured_until = models.DateField("统计截至")
    label = models.CharField("名称", max_length=100)
    # The weights and thresholds the scores were computed with: the scheme may change later.
    scheme = models.JSONField("考核办法", default=dict)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.PROPOSED, db_index=True)
    computed_at = models.DateTimeField("计算时间", default=timezone.now)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="确认人")
    revision = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "考核"
        verbose_name_plural = "考核"
        ordering = ["-start_date", "period"]
        constraints = [
            models.UniqueConstraint(fields=["school", "period", "start_date"],
                                    name="assessment_one_per_period"),
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")),
                                   name="assessment_start_before_end"),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="assessment_confirmed_has_time"),
        ]

    def __str__(self):
        return f"{self.label}考核"


class AssessmentEntry(models.Model):
    """One teacher's score in an assessment, with the breakdown that explains it."""

    class Listing(models.TextChoices):
        NONE = "", "—"
        COMMEND = "commend", "表彰"
        FOLLOW_UP = "follow_up", "通报"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="entries",
                                   verbose_name="考核")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assessment_entries",
                              verbose_name="教职工")
    # Empty when no indicator had data (no lessons scheduled, nothing measured).
    score = models.DecimalField("得分", max_digits=5, decimal_places=1, null=True, blank=True)
    # [{"code", "label", "weight", "value" (0–100 or null: absent), "detail"}] in scheme order.
    breakdown = models.JSONField("得分构成", default=list)
    lessons_scheduled = models.PositiveIntegerField("应上课次", default=0)
    proposed = models.CharField("建议", max_length=20, choices=Listing.choices, blank=True,
                                default="")
    listed = models.CharField("确认名单", max_length=20, choices=Listing.choices, blank=True,
                              default="")

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        ordering = ["assessment", "-score", "staff__name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "staff"],
                                    name="assessment_entry_one_per_staff"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="assessment_entry_score_in_range"),
        ]

    def __str__(self):
        return f"{self.staff} {self.score if self.score is not None else '—'}"


class AssessmentChange(StatusChange):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="changes",
                                   verbose_name="考核")
    from_status = models.CharField("原状态", max_length=20, choices=Assessment.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=Assessment.Status.choices)

    class Meta:
        verbose_name = "考核记录"
        verbose_name_plural = "考核记录"
        ordering = ["assessment", "at", "pk"]

    def __str__(self):
        return f"{self.assessment}: {self.from_status} → {self.to_status}"


class PublicationJob(models.Model):
    """One request to build a month's 公示: the beat's on the 1st, a coordinator's, the shell's.

    ``trigger`` names the request ("beat:2024-11", "manual:…", "command:…") and is unique per
    school, so a request delivered twice finds itself and builds at most one version.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "生成失败"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="publication_jobs",
                               verbose_name="学校")
    month = models.DateField("月份")
    trigger = models.CharField("触发", max_length=60)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="发起人")
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    queued_at = models.DateTimeField("入队时间", null=True, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    error = models.CharField("失败原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "公示生成任务"
        verbose_name_plural = "公示生成任务"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "trigger"],
                                    name="publication_job_unique_trigger"),
        ]

    def __str__(self):
        return f"{self.school} {self.month:%Y-%m} {self.trigger}"


class Publication(models.Model):
    """One version of a month's 公示: its tables and its .xlsx, written together or not at all.

    The workbook is a few hundred rows of totals (no child's name), small enough to keep in the
    row itself, which is what lets the version and its file be one transaction.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="publications",
                               verbose_name="学校")
    month = models.DateField("月份")
    version = models.PositiveIntegerField("版本", validators=[MinValueValidator(1)])
    job = models.OneToOneField(PublicationJob, on_delete=models.PROTECT,
                               related_name="publication", verbose_name="生成任务")
    built_at = models.DateTimeField("生成时间", default=timezone.now)
    content = models.JSONField("内容", default=dict)
    workbook = models.BinaryField("Excel 文件")

    class Meta:
        verbose_name = "月度公示"
        verbose_name_plural = "月度公示"
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["school", "month", "version"],
                                    name="publication_unique_version"),
        ]

    def __str__(self):
        return f"{self.school} {self.month:%Y年%m月}公示（第{self.version}版）"
