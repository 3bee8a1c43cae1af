"""Dashboards: the aggregate tables the principal's and the district's pages read, and the
schools' term plans sent to the bureau.

The shape, in one place:

- Daily rows (:class:`DailySchoolStat`, :class:`DailyHomeroomStat`) are counted from the
  attendance records, lessons and absence alerts of one school and one date; monthly rows
  (:class:`MonthlySchoolStat`, :class:`MonthlyHomeroomStat`, :class:`MonthlyStaffStat`,
  :class:`MonthlyCourseStat`) add the month's days together with what is not daily —
  participation, staff taking part and their 课时, subsidy paid, patrols, satisfaction, course
  fill. They are a cache of the records, never a source: :mod:`dashboards.aggregates` rebuilds
  any (school, day) or (school, month) from the records, after a roll call or a correction
  commits (a signal, :mod:`dashboards.receivers`) and every night (the beat), and a test holds
  every figure to a count of the records.
- :class:`SchoolPlan` is a school's term plan (service schedule, staffing, courses) submitted
  to the bureau, which approves it or returns it with a comment; a state machine declared with
  :mod:`afterschool.workflow`, with :class:`SchoolPlanChange` as its history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from afterschool.models import Homeroom, School, Staff, Term
from courses.models import Course


def count(label: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0)


class AttendanceCounts(models.Model):
    """What a day or a month of records adds up to: present + late + leave + absent +
    missing = expected (missing: never marked)."""

    expected = count("应到")
    present = count("出勤")
    late = count("迟到")
    leave = count("请假")
    absent = count("缺勤")
    missing = count("未点名")

    class Meta:
        abstract = True

    @property
    def attended(self) -> int:
        return self.present + self.late


class LessonCounts(models.Model):
    """A day's or a month's lessons, their roll calls, and the unexplained absences."""

    lessons = count("课次")
    lessons_taken = count("已点名课次")
    lessons_on_time = count("按时点名课次")
    alerts = count("缺勤提醒")
    alerts_handled = count("已处理提醒")
    # Minutes from raising to handling, over the handled alerts (the mean is this ÷ handled).
    alert_minutes = count("处理用时合计（分钟）")
    alerts_handled_30 = count("30 分钟内处理")

    class Meta:
        abstract = True


class DailySchoolStat(AttendanceCounts, LessonCounts):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    date = models.DateField("日期")
    built_at = models.DateTimeField("统计时间", default=timezone.now)

    class Meta:
        verbose_name = "学校日统计"
        verbose_name_plural = "学校日统计"
        constraints = [models.UniqueConstraint(fields=["school", "date"],
                                               name="daily_school_stat_unique")]

    def __str__(self):
        return f"{self.school_id} {self.date}"


class DailyHomeroomStat(AttendanceCounts):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    homeroom = models.ForeignKey(Homeroom, on_delete=models.CASCADE, related_name="+",
                                 verbose_name="班级")
    date = models.DateField("日期")

    class Meta:
        verbose_name = "班级日统计"
        verbose_name_plural = "班级日统计"
        constraints = [models.UniqueConstraint(fields=["homeroom", "date"],
                                               name="daily_homeroom_stat_unique")]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self):
        return f"{self.homeroom_id} {self.date}"


class Participation(models.Model):
    """Students of a homeroom (or the school) and their intention forms for the term."""

    students = count("学生")
    applied = count("申请参加")
    declined = count("不参加")
    approved = count("审核通过")
    placed = count("已安排")

    class Meta:
        abstract = True


class MonthlySchoolStat(AttendanceCounts, LessonCounts, Participation):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    month = models.DateField("月份")   # the first of the month
    term = models.ForeignKey(Term, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name="学期")
    staff_total = count("在职教职工")
    staff_taking_part = count("参与教职工")
    period_equivalents = models.DecimalField("课时合计", max_digits=10, decimal_places=2,
                                             default=0)
    # None: nothing to read (no final statement, no patrol roster, no survey) — absent, not 0.
    subsidy = models.DecimalField("已发补助（元）", max_digits=12, decimal_places=2, null=True,
                                  blank=True)
    patrols = models.PositiveIntegerField("巡查次数", null=True, blank=True)
    findings = models.PositiveIntegerField("发现问题", null=True, blank=True)
    open_follow_ups = models.PositiveIntegerField("未关闭整改", null=True, blank=True)
    survey_responses = models.PositiveIntegerField("满意度答卷", null=True, blank=True)
    survey_answered = models.PositiveIntegerField("满意度作答", null=True, blank=True)
    survey_satisfied = models.PositiveIntegerField("满意人数", null=True, blank=True)
    built_at = models.DateTimeField("统计时间", default=timezone.now)

    class Meta:
        verbose_name = "学校月统计"
        verbose_name_plural = "学校月统计"
        constraints = [models.UniqueConstraint(fields=["school", "month"],
                                               name="monthly_school_stat_unique")]
        indexes = [models.Index(fields=["month", "school"])]

    def __str__(self):
        return f"{self.school_id} {self.month:%Y-%m}"


class MonthlyHomeroomStat(AttendanceCounts, Participation):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    homeroom = models.ForeignKey(Homeroom, on_delete=models.CASCADE, related_name="+",
                                 verbose_name="班级")
    month = models.DateField("月份")

    class Meta:
        verbose_name = "班级月统计"
        verbose_name_plural = "班级月统计"
        constraints = [models.UniqueConstraint(fields=["homeroom", "month"],
                                               name="monthly_homeroom_stat_unique")]
        indexes = [models.Index(fields=["school", "month"])]

    def __str__(self):
        return f"{self.homeroom_id} {self.month:%Y-%m}"


class MonthlyStaffStat(models.Model):
    """One member of staff's month as the workload ledger counts it (evaluation)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+",
                              verbose_name="教职工")
    month = models.DateField("月份")
    scheduled = count("应上课次")
    delivered = count("已上课次")
    on_time = count("按时点名")
    substitutions = count("代课")
    period_equivalents = models.DecimalField("课时", max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name = "教师月统计"
        verbose_name_plural = "教师月统计"
        constraints = [models.UniqueConstraint(fields=["staff", "month"],
                                               name="monthly_staff_stat_unique")]
        indexes = [models.Index(fields=["school", "month"])]

    def __str__(self):
        return f"{self.staff_id} {self.month:%Y-%m}"


class MonthlyCourseStat(AttendanceCounts):
    """A course of the term: its sections, seats and students placed, and its lessons'
    attendance in the month."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+",
                               verbose_name="课程")
    month = models.DateField("月份")
    sections = count("教学班")
    capacity = count("学位")
    placed_students = count("已安排学生")

    class Meta:
        verbose_name = "课程月统计"
        verbose_name_plural = "课程月统计"
        constraints = [models.UniqueConstraint(fields=["course", "month"],
                                               name="monthly_course_stat_unique")]
        indexes = [models.Index(fields=["school", "month"])]

    def __str__(self):
        return f"{self.course_id} {self.month:%Y-%m}"


class SchoolPlan(models.Model):
    """A school's term plan (课后服务工作方案) submitted to the bureau for approval."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已报送，待审批"
        APPROVED = "approved", "已批准"
        RETURNED = "returned", "已退回修改"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="plans",
                               verbose_name="学校")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="plans",
                             verbose_name="学期")
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    # The school's own words: aims, organisation, safety, what the figures do not say.
    summary = models.TextField("方案说明", max_length=3000, blank=True)
    # What the bureau reviews: the schedule, staffing and courses as they stood when the plan
    # was submitted (:func:`dashboards.plans.plan_snapshot`), so a later change to the
    # catalog does not change a submitted plan.
    content = models.JSONField("方案内容", default=dict, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)
    revision = models.PositiveIntegerField("版本", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="填写人")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "课后服务方案"
        verbose_name_plural = "课后服务方案"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "term"], name="school_plan_one_per_term"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False),
                                   name="school_plan_submitted_has_time"),
        ]

    def __str__(self):
        return f"{self.school} {self.term}课后服务方案"


class SchoolPlanChange(models.Model):
    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="changes",
                             verbose_name="方案")
    from_status = models.CharField("原状态", max_length=20, choices=SchoolPlan.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=SchoolPlan.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name="操作人")
    actor_role = models.CharField("操作身份", max_length=30, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    comment = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "方案记录"
        verbose_name_plural = "方案记录"
        ordering = ["plan", "at", "pk"]

    def __str__(self):
        return f"{self.plan}: {self.from_status} → {self.to_status}"
