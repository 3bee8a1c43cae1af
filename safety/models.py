"""Safety: the duty roster (值日), patrols (巡查) and their follow-ups (整改).

The shape, in one place:

- :class:`SafetyPolicy` holds a school's settings: how many duty teachers and leaders on duty
  each service day, who takes turns, how long a follow-up has by default.
- :class:`DutyUnavailability` is a day a member of staff declared they cannot be on duty.
- :class:`DutyRoster` is a term's roster (one per term, regenerated in place from a date on:
  the days before it are history and stay); :class:`DutyAssignment` is one person on duty on
  one day, as a duty teacher or as the leader on duty (值日领导).
- :class:`DutySwap` is an exchange of two duties of the same kind: asked by one teacher,
  accepted by the other, approved by the office (a state machine, ``safety/transitions.py``).
- :class:`PatrolReport` is one visit of a lesson by the duty teacher or a leader: the tutor
  present and on time, the head count against the roll call, whether the activity matches the
  plan (讲授新课 and 考试 are the misuse the national rules forbid), a photo and notes.
- :class:`FollowUp` (整改) is opened by a patrol with a finding: assigned to a person with a
  due date, reported done, and closed by the office with a note (a state machine too).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from afterschool.models import School, Staff, StatusChange, Term
from afterschool.storage import private_storage
from attendance.models import Lesson


class SafetyPolicy(models.Model):
    """A school's duty and patrol settings; a school without a row uses the defaults."""

    class Pool(models.TextChoices):
        ALL_STAFF = "all_staff", "全体校内教职工轮流值日"
        DUTY_ROLE = "duty_role", "仅被授予“值日教师”角色的教职工"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="safety_policy",
                                  verbose_name="学校")
    duty_teachers_per_day = models.PositiveSmallIntegerField(
        "每天值日教师人数", default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    leaders_per_day = models.PositiveSmallIntegerField(
        "每天值日领导人数", default=1, validators=[MaxValueValidator(3)])
    duty_pool = models.CharField("值日教师来自", max_length=20, choices=Pool.choices,
                                 default=Pool.ALL_STAFF)
    follow_up_days = models.PositiveSmallIntegerField(
        "整改默认期限（天）", default=3, validators=[MinValueValidator(1), MaxValueValidator(60)])

    class Meta:
        verbose_name = "值日与巡查设置"
        verbose_name_plural = "值日与巡查设置"

    def __str__(self):
        return f"{self.school}的值日与巡查设置"


class DutyUnavailability(models.Model):
    """A service day on which a member of staff cannot be on duty (declared in advance)."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="duty_unavailability",
                             verbose_name="学期")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE,
                              related_name="duty_unavailability", verbose_name="教职工")
    date = models.DateField("日期")
    reason = models.CharField("原因", max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="登记人")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "不能值日的日期"
        verbose_name_plural = "不能值日的日期"
        ordering = ["term", "staff", "date"]
        constraints = [
            models.UniqueConstraint(fields=["term", "staff", "date"],
                                    name="duty_unavailability_unique_day"),
        ]

    def __str__(self):
        return f"{self.staff} {self.date:%m月%d日}不能值日"


class DutyKind(models.TextChoices):
    TEACHER = "teacher", "值日教师"
    LEADER = "leader", "值日领导"


class DutyRoster(models.Model):
    """A term's duty roster and how good the last generation was."""

    term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="duty_roster",
                                verbose_name="学期")
    teachers_per_day = models.PositiveSmallIntegerField("每天值日教师人数")
    leaders_per_day = models.PositiveSmallIntegerField("每天值日领导人数")
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="生成人")
    # The first day the last generation decided; the days before it were kept as they were.
    from_date = models.DateField("自此日起重新排班")
    optimal = models.BooleanField("已证明最优", default=True)
    method = models.CharField("求解方法", max_length=20, blank=True)
    max_teacher_load = models.PositiveSmallIntegerField("每人最多值日次数", default=0)
    max_leader_load = models.PositiveSmallIntegerField("每位领导最多值日次数", default=0)
    doubles = models.PositiveSmallIntegerField("一天两班次数", default=0)
    sum_of_squares = models.PositiveIntegerField("均衡度（平方和）", default=0)
    back_to_back = models.PositiveSmallIntegerField("连续两个服务日值日次数", default=0)
    seconds = models.FloatField("求解用时（秒）", default=0)

    class Meta:
        verbose_name = "值日表"
        verbose_name_plural = "值日表"

    def __str__(self):
        return f"{self.term}值日表"


class DutyAssignment(models.Model):
    """One person on duty on one service day."""

    roster = models.ForeignKey(DutyRoster, on_delete=models.CASCADE, related_name="assignments",
                               verbose_name="值日表")
    date = models.DateField("日期")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="duty_assignments",
                              verbose_name="值日人")
    kind = models.CharField("类别", max_length=20, choices=DutyKind.choices)
    # Set when an approved swap put this person here: a regeneration keeps it.
    swapped = models.BooleanField("经调班", default=False)

    class Meta:
        verbose_name = "值日安排"
        verbose_name_plural = "值日安排"
        ordering = ["date", "kind", "staff__name"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "date", "kind", "staff"],
                                    name="duty_assignment_unique_person_per_kind_day"),
        ]
        indexes = [models.Index(fields=["staff", "date"]), models.Index(fields=["roster", "date"])]

    def __str__(self):
        return f"{self.date:%m月%d日} {self.get_kind_display()} {self.staff}"


class DutySwap(models.Model):
    """调班: two people exchange a duty each, of the same kind, with the office's approval."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待对方确认"
        ACCEPTED = "accepted", "待办公室审批"
        APPROVED = "approved", "已调换"
        DECLINED = "declined", "对方未同意"
        REJECTED = "rejected", "办公室未批准"
        CANCELLED = "cancelled", "已撤回"

    roster = models.ForeignKey(DutyRoster, on_delete=models.CASCADE, related_name="swaps",
                               verbose_name="值日表")
    # The two duties; emptied when a regeneration replaces them (the rest stays as history).
    mine = models.ForeignKey(DutyAssignment, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="swaps_asked", verbose_name="申请人的值日")
    theirs = models.ForeignKey(DutyAssignment, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="swaps_offered", verbose_name="对方的值日")
    requester = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+",
                                  verbose_name="申请人")
    partner = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+",
                                verbose_name="对方")
    kind = models.CharField("类别", max_length=20, choices=DutyKind.choices)
    requester_date = models.DateField("申请人原值日日期")
    partner_date = models.DateField("对方原值日日期")
    reason = models.CharField("原因", max_length=200, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.REQUESTED, db_index=True)
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_at = models.DateTimeField("办理时间", null=True, blank=True)

    class Meta:
        verbose_name = "调班"
        verbose_name_plural = "调班"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(requester=models.F("partner")),
                                   name="duty_swap_not_self"),
        ]

    def __str__(self):
        return (f"{self.requester}（{self.requester_date:%m月%d日}）⇄ "
                f"{self.partner}（{self.partner_date:%m月%d日}）")


class DutySwapChange(StatusChange):
    """The history of a swap's moves (codes, as :mod:`afterschool.workflow` writes them)."""

    swap = models.ForeignKey(DutySwap, on_delete=models.CASCADE, related_name="changes",
                             verbose_name="调班")
    from_status = models.CharField("原状态", max_length=20, choices=DutySwap.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=DutySwap.Status.choices)

    class Meta:
        verbose_name = "调班记录"
        verbose_name_plural = "调班记录"
        ordering = ["swap", "at", "pk"]

    def __str__(self):
        return f"{self.swap}: {self.from_status} → {self.to_status}"


class PatrolReport(models.Model):
    """One visit of a lesson on a patrol: what the duty teacher or the leader saw."""

    class Presence(models.TextChoices):
        PRESENT = "present", "在岗，准时"
        LATE = "late", "迟到"
        ABSENT = "absent", "不在岗"

    class Activity(models.TextChoices):
        AS_PLANNED = "as_planned", "按计划开展"
        NEW_LESSON = "new_lesson", "讲授新课"
        EXAM = "exam", "考试"
        OTHER = "other", "与计划不符（其他）"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="patrols",
                               verbose_name="学校")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="patrols",
                               verbose_name="课次")
    date = models.DateField("日期", db_index=True)
    patrolled_at = models.DateTimeField("巡查时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name="巡查人")
    # The tutor the findings are about: the lesson's substitute, or one of its tutors.
    teacher = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="patrols_about", verbose_name="辅导教师")
    presence = models.CharField("辅导教师", max_length=20, choices=Presence.choices)
    head_count = models.PositiveSmallIntegerField("实到人数", null=True, blank=True)
    # The roll call's count of children in the room (present + late) when the patrol came,
    # empty while the roll call was not in; and the number expected at the lesson.
    roll_call_count = models.PositiveSmallIntegerField("点名在班人数", null=True, blank=True)
    expected_count = models.PositiveSmallIntegerField("应到人数", default=0)
    head_count_mismatch = models.BooleanField("人数与点名不符", default=False)
    activity = models.CharField("活动内容", max_length=20, choices=Activity.choices,
                                default=Activity.AS_PLANNED)
    other_issue = models.BooleanField("其他问题（见备注）", default=False)
    # Private: children are in it. Served only through a view that checks who asks.
    photo = models.ImageField("照片", upload_to="patrols/%Y/%m/", storage=private_storage,
                              blank=True)
    notes = models.TextField("备注", max_length=500, blank=True)
    has_finding = models.BooleanField("发现问题", default=False, db_index=True)
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        verbose_name = "巡查记录"
        verbose_name_plural = "巡查记录"
        ordering = ["-patrolled_at", "-pk"]
        indexes = [models.Index(fields=["school", "date"]),
                   models.Index(fields=["teacher", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(has_finding=True) | (
                    Q(presence="present", head_count_mismatch=False, activity="as_planned",
                      other_issue=False)),
                name="patrol_finding_flag_matches"),
        ]

    def __str__(self):
        return f"{self.patrolled_at:%m月%d日 %H:%M} 巡查 {self.lesson}"

    @property
    def misuse(self) -> bool:
        return self.activity in (self.Activity.NEW_LESSON, self.Activity.EXAM)

    def finding_labels(self) -> list[str]:
        """What was wrong, in words: "辅导教师迟到", "人数不符（实到 20，点名 22）", …"""
        found = []
        if self.presence != self.Presence.PRESENT:
            found.append(f"辅导教师{self.get_presence_display()}")
        if self.head_count_mismatch:
            found.append(f"人数不符（实到 {self.head_count}，点名在班 {self.roll_call_count}）")
        if self.activity != self.Activity.AS_PLANNED:
            found.append(f"活动：{self.get_activity_display()}")
        if self.other_issue:
            found.append("其他问题")
        return found


class FollowUp(models.Model):
    """整改: what a patrol found, until the office closes it."""

    class Status(models.TextChoices):
        OPEN = "open", "待指派"
        ASSIGNED = "assigned", "整改中"
        RECTIFIED = "rectified", "已整改，待验收"
        CLOSED = "closed", "已关闭"

    patrol = models.OneToOneField(PatrolReport, on_delete=models.CASCADE,
                                  related_name="follow_up", verbose_name="巡查记录")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="follow_ups",
                               verbose_name="学校")
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.OPEN, db_index=True)
    assignee = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="follow_ups", verbose_name="整改负责人")
    due_date = models.DateField("整改期限", null=True, blank=True)
    rectification = models.TextField("整改情况", max_length=500, blank=True)
    close_note = models.TextField("验收意见", max_length=500, blank=True)
    created_at = models.DateTimeField("发现时间", default=timezone.now)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name="关闭人")

    class Meta:
        verbose_name = "整改"
        verbose_name_plural = "整改"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"])
                | Q(assignee__isnull=False, due_date__isnull=False),
                name="follow_up_assigned_has_person_and_date"),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(close_note="")),
                name="follow_up_closed_has_note"),
        ]

    def __str__(self):
        return f"整改：{self.patrol}（{self.get_status_display()}）"


class FollowUpChange(StatusChange):
    """The history of a follow-up's moves (codes, as :mod:`afterschool.workflow` writes)."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="changes",
                                  verbose_name="整改")
    from_status = models.CharField("原状态", max_length=20, choices=FollowUp.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=FollowUp.Status.choices)

    class Meta:
        verbose_name = "整改记录"
        verbose_name_plural = "整改记录"
        ordering = ["follow_up", "at", "pk"]

    def __str__(self):
        return f"{self.follow_up}: {self.from_status} → {self.to_status}"
