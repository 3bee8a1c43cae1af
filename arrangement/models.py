"""The arrangement (统筹安排): versioned placement runs and what follows from them.

A run is computed as a draft, adjusted by hand if needed, then published; publishing a run
supersedes the term's previously published one, so a draft never overwrites what guardians see.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from afterschool import formatting
from afterschool.models import Homeroom, Staff, Student, Term
from courses.models import Course, Section
from enrollment.models import Application


class Arrangement(models.Model):
    """One versioned placement run of a term."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        SUPERSEDED = "superseded", "已被替代"
        FAILED = "failed", "运行失败"

    class Mechanism(models.TextChoices):
        EXACT = "exact", "按志愿优化分配"
        LOTTERY = "lottery", "随机顺序抽签分配"

    class Scope(models.TextChoices):
        # Who may move: everyone; nobody already placed in the base run; all but the pinned.
        FULL = "full", "全部重新安排"
        NEWCOMERS = "newcomers", "只安排新增学生"
        KEEP_HAND = "keep_hand", "重新安排（保留人工调整）"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="arrangements",
                             verbose_name="学期")
    version = models.PositiveIntegerField("版本", validators=[MinValueValidator(1)])
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    mechanism = models.CharField("分配方式", max_length=20, choices=Mechanism.choices,
                                 default=Mechanism.EXACT)
    seed = models.PositiveBigIntegerField("随机种子")
    scope = models.CharField("安排范围", max_length=20, choices=Scope.choices,
                             default=Scope.FULL)
    # The run whose placements a NEWCOMERS or KEEP_HAND run keeps (pins).
    base = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name="基于版本")
    # KEEP_HAND: students the coordinator chose to keep as they are in the base run, besides
    # those changed by hand (student primary keys).
    pinned_students = models.JSONField("另外保持不变的学生", default=list, blank=True)
    # The sections the run was computed with: a section created later is not part of it.
    sections = models.ManyToManyField(Section, related_name="+", blank=True,
                                      verbose_name="教学班")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="发起人")
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    started_at = models.DateTimeField("开始计算", null=True, blank=True)
    finished_at = models.DateTimeField("完成计算", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="发布人")
    # What the solver reported: students, placed, by_rank, seconds, optimal, mechanism.
    stats = models.JSONField("求解统计", default=dict, blank=True)
    progress = models.CharField("进度", max_length=200, blank=True)
    error = models.TextField("错误信息", blank=True)
    # Heartbeat and claim of the computing task: a run silent past the task's time limit lost
    # its worker (``arrangement.services.runs.arrangements_sweep``); ``attempts`` caps
    # redeliveries of a run that kills its worker every time.
    updated_at = models.DateTimeField("最近进展", default=timezone.now)
    attempts = models.PositiveSmallIntegerField("计算次数", default=0)
    task_id = models.CharField("任务标识", max_length=50, blank=True)

    class Meta:
        verbose_name = "统筹安排"
        verbose_name_plural = "统筹安排"
        ordering = ["term", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["term", "version"],
                                    name="arrangement_unique_version"),
            models.UniqueConstraint(fields=["term"], condition=Q(status="published"),
                                    name="arrangement_one_published_per_term"),
        ]

    def __str__(self):
        return f"{self.term} 第{self.version}版安排"

    @property
    def is_computed(self) -> bool:
        return self.finished_at is not None and self.status != self.Status.FAILED

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.DRAFT and self.finished_at is None

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT and self.finished_at is not None


class Placement(models.Model):
    """A student's seat in a section of a run; ``ended_on`` is the first day no longer there."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE,
                                    related_name="placements", verbose_name="统筹安排")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="placements",
                                verbose_name="学生")
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="placements", verbose_name="意向书")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="placements",
                               verbose_name="课程")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="placements",
                                verbose_name="教学班")
    # The preference rank the student gave this course; None when placed outside them by hand.
    rank = models.PositiveSmallIntegerField("志愿顺序", null=True, blank=True)
    # For the guardian: which choice this is and why not a better one.
    note = models.CharField("安排说明", max_length=300, blank=True)
    # Set by a hand change (move, swap, place); carried into later runs that keep it.
    by_hand = models.BooleanField("人工调整", default=False)
    # Kept from the base run as it was, not computed by this run's solver.
    pinned = models.BooleanField("保持不变", default=False)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    created_at = models.DateTimeField("安排时间", default=timezone.now)

    class Meta:
        verbose_name = "课程安排"
        verbose_name_plural = "课程安排"
        ordering = ["arrangement", "course", "section", "student"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "student", "course"],
                                    name="placement_unique_course_per_student"),
            models.CheckConstraint(condition=Q(rank__isnull=True) | Q(rank__gte=1),
                                   name="placement_rank_positive"),
        ]
        indexes = [models.Index(fields=["arrangement", "section"])]

    def __str__(self):
        return f"{self.student} → {self.section}"

    @property
    def rank_label(self) -> str:
        return f"第{self.rank}志愿" if self.rank else "非志愿"


class UnplacedEntry(models.Model):
    """A student of the run who got no course, and why, in words a guardian understands."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE,
                                    related_name="unplaced", verbose_name="统筹安排")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="unplaced_entries", verbose_name="学生")
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="unplaced_entries", verbose_name="意向书")
    reason = models.CharField("原因", max_length=300)

    class Meta:
        verbose_name = "未安排学生"
        verbose_name_plural = "未安排学生"
        ordering = ["arrangement", "student"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "student"],
                                    name="unplaced_once_per_run"),
        ]

    def __str__(self):
        return f"{self.student}：{self.reason}"


class ArrangementChange(models.Model):
    """Every change to a run after the solver: who, when, what, from, to, comment.

    A change of the run's status (``kind`` "status", written by the shared state machine,
    ``arrangement.transitions``) records the statuses as codes in ``from_status`` and
    ``to_status``; a change of seats describes them in ``from_text`` and ``to_text``.
    """

    class Kind(models.TextChoices):
        MOVE = "move", "调班"
        SWAP = "swap", "互换"
        PLACE = "place", "补录"
        REMOVE = "remove", "移出"
        TUTOR = "tutor", "更换教师"
        WITHDRAW = "withdraw", "退出释放名额"
        FILL = "fill", "递补"
        STATUS = "status", "状态变更"

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE,
                                    related_name="changes", verbose_name="统筹安排")
    kind = models.CharField("操作", max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间", default=timezone.now)
    student = models.ForeignKey(Student, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name="学生")
    section = models.ForeignKey(Section, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name="教学班")
    from_text = models.CharField("调整前", max_length=200, blank=True)
    to_text = models.CharField("调整后", max_length=200, blank=True)
    from_status = models.CharField("原状态", max_length=20, choices=Arrangement.Status.choices,
                                   blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=Arrangement.Status.choices,
                                 blank=True)
    actor_role = models.CharField("操作身份", max_length=30, blank=True)
    comment = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "安排调整记录"
        verbose_name_plural = "安排调整记录"
        ordering = ["arrangement", "-at", "-pk"]

    def __str__(self):
        if self.kind == self.Kind.STATUS:
            return (f"{self.get_kind_display()}：{self.get_from_status_display()} → "
                    f"{self.get_to_status_display()}")
        return f"{self.get_kind_display()}：{self.from_text} → {self.to_text}"


class HomeworkGroup(models.Model):
    """A homework-tutoring group (作业辅导组) of one service day: ≤ 25 children, one tutor."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE,
                                    related_name="homework_groups", verbose_name="统筹安排")
    weekday = models.PositiveSmallIntegerField(
        "星期", validators=[MinValueValidator(1), MaxValueValidator(7)])
    name = models.CharField("名称", max_length=100)
    homerooms = models.ManyToManyField(Homeroom, related_name="homework_groups",
                                       verbose_name="班级")
    students = models.ManyToManyField(Student, through="HomeworkGroupMember",
                                      related_name="homework_groups", verbose_name="学生")
    tutor = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="homework_groups", verbose_name="辅导教师")
    # Where the group meets every day of the week, e.g. "七年级1班教室".
    room = models.CharField("地点", max_length=100, blank=True)
    unstaffed_reason = models.CharField("未配教师原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "作业辅导组"
        verbose_name_plural = "作业辅导组"
        ordering = ["arrangement", "weekday", "name"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "weekday", "name"],
                                    name="homework_group_unique_name"),
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7),
                                   name="homework_group_weekday_range"),
        ]

    def __str__(self):
        return f"{self.weekday_label} {self.name}"

    @property
    def weekday_label(self) -> str:
        return formatting.weekday_label(self.weekday)


class HomeworkGroupMember(models.Model):
    """A child in a homework group; one group per child per day of a run."""

    group = models.ForeignKey(HomeworkGroup, on_delete=models.CASCADE, related_name="members",
                              verbose_name="作业辅导组")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="homework_memberships", verbose_name="学生")
    # Copied from the group so the database can refuse a child in two groups on one day.
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="+",
                                    verbose_name="统筹安排")
    weekday = models.PositiveSmallIntegerField("星期")

    class Meta:
        verbose_name = "作业辅导组成员"
        verbose_name_plural = "作业辅导组成员"
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "weekday", "student"],
                                    name="homework_one_group_per_day"),
        ]

    def __str__(self):
        return f"{self.student} @ {self.group}"


class HomeroomModePeriod(models.Model):
    """A date range in which mixed clubs are suspended and each homeroom is its own group."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="homeroom_mode_periods",
                             verbose_name="学期")
    start_date = models.DateField("开始日期")
    # The last day run by homeroom; cut short when the school returns to normal early.
    end_date = models.DateField("结束日期")
    reason = models.CharField("原因", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="设置人")
    created_at = models.DateTimeField("设置时间", default=timezone.now)
    # Ending early keeps the row: the first normal day, who decided and when, and the end
    # that had been planned. A range ended on or before its first day never ran (its
    # ``end_date``, the day before ``ended_on``, is then before ``start_date``).
    ended_on = models.DateField("恢复正常日期", null=True, blank=True)
    planned_end_date = models.DateField("原定结束日期", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name="恢复操作人")
    ended_at = models.DateTimeField("恢复操作时间", null=True, blank=True)

    class Meta:
        verbose_name = "按班级开展时段"
        verbose_name_plural = "按班级开展时段"
        ordering = ["term", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date"))
                | Q(ended_on__isnull=False, ended_on__lte=F("start_date")),
                name="homeroom_mode_start_before_end"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(end_date__lt=F("ended_on")),
                name="homeroom_mode_ends_before_normal"),
        ]

    def __str__(self):
        return f"{self.start_date:%Y-%m-%d} 至 {self.end_date:%Y-%m-%d}：{self.reason}"

    @property
    def never_ran(self) -> bool:
        return self.end_date < self.start_date
