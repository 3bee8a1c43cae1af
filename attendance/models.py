"""Attendance: the term calendar, dated lessons, roll calls, corrections, leave and alerts.

The shape, in one place:

- :class:`CalendarDay` says how a date differs from the term's weekly pattern: a public holiday,
  a 调休 make-up day that runs as a given weekday ("9月29日（周日）按周一上课"), or a suspension
  of the service (weather, exams, one grade's outing).
- :class:`Lesson` (课次) is one dated meeting, generated from the published arrangement and the
  calendar: a section's lesson, a homework group, a homeroom-mode group, a fixed item, or a
  boarding homeroom's evening reading. ``key`` names what it is a meeting of, so regeneration
  finds the same row again; a lesson with roll-call records is never changed by regeneration.
- :class:`AttendanceRecord` (点名) is one expected student at one lesson. The rows are made with
  the lesson (the students expected that day); ``status`` stays empty until the roll call, so
  "never taken" is countable and ``present + late + leave + absent + missing = expected``.
- :class:`AttendanceCorrection` keeps every change after the lesson locked: old, new, who, when,
  why. The record always holds the corrected value, so every later number reads the records.
- :class:`LeaveRequest` (请假) is a guardian's advance notice, a state machine declared with
  :mod:`afterschool.workflow`; approved leave pre-fills the roll call as 请假.
- :class:`AbsenceAlert` is raised for a 缺勤 without approved leave: who was told, who handled
  it and how, and when it escalated.

Dismissal (放学交接), the end of the chain — who has each child at every minute:

- :class:`PickupChange` is a guardian's change for one day ("今天由外婆接"): the person is
  authorised that day, and the child is picked up that day whatever the form says.
- :class:`PickupCode` is the one-time code (and QR code) a guardian shows at the gate.
- :class:`Dismissal` is the release of one child on one day: who handed over, to whom, how,
  when. One per child per day, by a constraint: two tutors releasing at once give one release.
- :class:`DutyHandover` records a child passing to the duty teacher (not released in time, or
  collected by someone not on the list, which the duty teacher must confirm).
- :class:`DismissalDay` stamps when a school's day closed: every child present accounted for.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from afterschool.models import Grade, Homeroom, Period, School, Staff, StatusChange, Student, Term


class AttendancePolicy(models.Model):
    """A school's attendance settings; a school without a row uses the defaults."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="attendance_policy", verbose_name="学校")
    # A lesson's roll call may be edited by its tutor until this time of the lesson's day
    # (or of the next day with lock_next_day); then only a coordinator corrects it, with a reason.
    lock_time = models.TimeField("点名锁定时间", default=dt.time(22, 0))
    lock_next_day = models.BooleanField("次日锁定", default=False)
    # Minutes after a lesson's start: a roll call later than this is not punctual, and a missing
    # one is flagged on the office's board.
    roll_call_grace_minutes = models.PositiveSmallIntegerField("点名宽限（分钟）", default=10)
    # Minutes after an absence alert is raised: unacknowledged, it escalates to the duty teacher
    # and the office.
    alert_escalate_minutes = models.PositiveSmallIntegerField("缺勤提醒升级（分钟）", default=15)
    # Boarders' evening reading (晚自习前阅读), taken by the homeroom teacher: generated as a
    # READING lesson for each homeroom with boarders on service days when both times are set.
    reading_start_time = models.TimeField("寄宿生阅读开始", null=True, blank=True)
    reading_end_time = models.TimeField("寄宿生阅读结束", null=True, blank=True)
    # Minutes after a child's last lesson ends: a child not released by then is handed to the
    # day's duty teacher (with the list), and the office is told.
    dismissal_handover_minutes = models.PositiveSmallIntegerField(
        "放学交值日教师（分钟）", default=20, validators=[MinValueValidator(1),
                                                       MaxValueValidator(180)])

    class Meta:
        verbose_name = "考勤设置"
        verbose_name_plural = "考勤设置"

    def __str__(self):
        return f"{self.school}的考勤设置"


class CalendarDay(models.Model):
    """One date of a term that differs from its weekly pattern."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "节假日"
        MAKEUP = "makeup", "调休上课"
        SUSPENDED = "suspended", "暂停服务"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="calendar_days",
                             verbose_name="学期")
    date = models.DateField("日期")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    # For a make-up day: the ISO weekday whose timetable it runs (1 = Monday).
    runs_as_weekday = models.PositiveSmallIntegerField(
        "按星期几上课", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)])
    # For a suspension of one grade only (an outing); empty for the whole school.
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="calendar_days", verbose_name="年级")
    reason = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="设置人")
    created_at = models.DateTimeField("设置时间", default=timezone.now)

    class Meta:
        verbose_name = "校历调整"
        verbose_name_plural = "校历调整"
        ordering = ["term", "date"]
        constraints = [
            models.UniqueConstraint(fields=["term", "date"], condition=Q(grade__isnull=True),
                                    name="calendar_day_unique_date"),
            models.UniqueConstraint(fields=["term", "date", "grade"],
                                    condition=Q(grade__isnull=False),
                                    name="calendar_day_unique_date_grade"),
            models.CheckConstraint(
                condition=(Q(kind="makeup", runs_as_weekday__isnull=False)
                           | (~Q(kind="makeup") & Q(runs_as_weekday__isnull=True))),
                name="calendar_day_makeup_has_weekday"),
            models.CheckConstraint(condition=Q(grade__isnull=True) | Q(kind="suspended"),
                                   name="calendar_day_grade_only_for_suspension"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class Lesson(models.Model):
    """One dated meeting (课次) with its tutors and the students expected at it."""

    class Kind(models.TextChoices):
        COURSE = "course", "特色课程"
        HOMEWORK = "homework", "作业辅导"
        HOMEROOM = "homeroom", "按班级开展"
        FIXED = "fixed", "固定课程"
        READING = "reading", "寄宿生阅读"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="lessons",
                             verbose_name="学期")
    date = models.DateField("日期", db_index=True)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="lessons", verbose_name="节次")
    start_time = models.TimeField("开始时间")
    end_time = models.TimeField("结束时间")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    # What the lesson is a meeting of, e.g. "section:12", "homework:3:1" or "reading:7": with
    # term, date and start_time it identifies the lesson across regenerations.
    key = models.CharField("来源", max_length=100)
    title = models.CharField("名称", max_length=200)
    venue = models.CharField("地点", max_length=100, blank=True)
    # The catalog or arrangement row behind the lesson, by id: attendance sits above both, but
    # a lesson must outlive a draft run or a deleted section, so these are plain references.
    section_id = models.PositiveBigIntegerField("教学班", null=True, blank=True)
    group_id = models.PositiveBigIntegerField("作业辅导组", null=True, blank=True)
    homeroom = models.ForeignKey(Homeroom, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="lessons", verbose_name="班级")
    tutors = models.ManyToManyField(Staff, related_name="lessons", blank=True,
                                    verbose_name="辅导教师")
    substitute = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="substituted_lessons", verbose_name="代课教师")
    is_cancelled = models.BooleanField("已取消", default=False)
    roll_call_at = models.DateTimeField("点名时间", null=True, blank=True)
    roll_call_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="roll_calls", verbose_name="点名人")
    # Bumped by every accepted roll call; the form carries the value it was built from (a stale
    # form is refused) and a token per submission (the same submission twice is applied once).
    roll_call_revision = models.PositiveIntegerField("点名版本", default=0)
    roll_call_token = models.CharField("点名提交标识", max_length=40, blank=True)
    generated_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta:
        verbose_name = "课次"
        verbose_name_plural = "课次"
        ordering = ["date", "start_time", "title"]
        constraints = [
            models.UniqueConstraint(fields=["term", "date", "start_time", "key"],
                                    name="lesson_unique_meeting"),
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")),
                                   name="lesson_start_before_end"),
        ]
        indexes = [models.Index(fields=["term", "date"])]

    def __str__(self):
        return f"{self.date:%m月%d日} {self.title}"


class AttendanceRecord(models.Model):
    """One expected student at one lesson; ``status`` empty until the roll call."""

    class Status(models.TextChoices):
        PRESENT = "present", "出勤"
        LATE = "late", "迟到"
        LEAVE = "leave", "请假"
        ABSENT = "absent", "缺勤"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="records",
                               verbose_name="课次")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="attendance_records", verbose_name="学生")
    status = models.CharField("状态", max_length=20, choices=Status.choices, blank=True)
    # The approved leave that covers this lesson (pre-fills 请假).
    leave = models.ForeignKey("LeaveRequest", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="records", verbose_name="请假")
    note = models.CharField("备注", max_length=200, blank=True)
    marked_at = models.DateTimeField("点名时间", null=True, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name="点名人")
    # Bumped on every write: a stale form (an old tab, a resubmit) is recognised.
    revision = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "点名记录"
        verbose_name_plural = "点名记录"
        ordering = ["lesson", "student"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"],
                                    name="attendance_record_unique_student"),
            models.CheckConstraint(condition=Q(status="") | Q(marked_at__isnull=False),
                                   name="attendance_record_marked_when_set"),
        ]
        indexes = [models.Index(fields=["student", "lesson"])]

    def __str__(self):
        return f"{self.student} {self.get_status_display() or '未点名'}"


class AttendanceCorrection(models.Model):
    """A change to a locked record: the record keeps the new value, this row the story."""

    record = models.ForeignKey(AttendanceRecord, on_delete=models.CASCADE,
                               related_name="corrections", verbose_name="点名记录")
    old_status = models.CharField("原状态", max_length=20, choices=AttendanceRecord.Status.choices,
                                  blank=True)
    new_status = models.CharField("新状态", max_length=20,
                                  choices=AttendanceRecord.Status.choices)
    reason = models.CharField("原因", max_length=200)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+", verbose_name="更正人")
    corrected_at = models.DateTimeField("更正时间", default=timezone.now)

    class Meta:
        verbose_name = "点名更正"
        verbose_name_plural = "点名更正"
        ordering = ["record", "corrected_at"]

    def __str__(self):
        return f"{self.record}：{self.old_status or '未点名'} → {self.new_status}"


class AttendanceTally(models.Model):
    """One child's records of one month and one section, counted by status (a tally).

    ``section_id`` is the lessons' section (0 for lessons with none: homework groups, homeroom
    mode, fixed items, reading, told apart by ``kind``); ``month`` the first of the lessons'
    month. Only lessons not cancelled count, as everywhere. The rows are written by PostgreSQL
    triggers on the records and the lessons, in the writing transaction, so every writer keeps
    them — the services, lesson generation, the demo, the loaders, a shell (see
    :mod:`attendance.tally`, which also rebuilds and checks them). Monthly reports sum a few
    rows a child instead of every record. No foreign keys: a child's or a school's rows go with
    their last record, and a deleted section reads as no course.
    """

    school_id = models.BigIntegerField("学校")
    month = models.DateField("月份")
    student_id = models.BigIntegerField("学生")
    section_id = models.BigIntegerField("教学班", default=0)
    kind = models.CharField("类型", max_length=20, choices=Lesson.Kind.choices)
    expected = models.IntegerField("应到", default=0)
    present = models.IntegerField("出勤", default=0)
    late = models.IntegerField("迟到", default=0)
    on_leave = models.IntegerField("请假", default=0)
    absent = models.IntegerField("缺勤", default=0)
    missing = models.IntegerField("未点名", default=0)

    class Meta:
        verbose_name = "点名月计数"
        verbose_name_plural = "点名月计数"
        constraints = [
            models.UniqueConstraint(fields=["school_id", "month", "student_id", "section_id",
                                            "kind"], name="attendance_tally_unique"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} 学生{self.student_id} {self.kind}:{self.section_id}"


class SubstitutionOrder(models.Model):
    """代课: another staff member takes a tutor's lessons on one date or a range of dates.

    Regeneration applies the orders again, so a substitute survives a calendar change.
    """

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="substitutions",
                             verbose_name="学期")
    tutor = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+",
                              verbose_name="原辅导教师")
    substitute = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+",
                                   verbose_name="代课教师")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    # One lesson only, when the order is for a single lesson rather than every lesson of the
    # tutor in the range.
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="substitution_orders", verbose_name="课次")
    reason = models.CharField("原因", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="安排人")
    created_at = models.DateTimeField("安排时间", default=timezone.now)

    class Meta:
        verbose_name = "代课安排"
        verbose_name_plural = "代课安排"
        ordering = ["term", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")),
                                   name="substitution_start_before_end"),
            models.CheckConstraint(condition=~Q(tutor=F("substitute")),
                                   name="substitution_not_self"),
        ]

    def __str__(self):
        return f"{self.substitute}代{self.tutor}（{self.start_date}–{self.end_date}）"


class LeaveRequest(models.Model):
    """请假: a guardian's (or, by phone, the office's) advance notice of absence."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        DECLINED = "declined", "未批准"
        CANCELLED = "cancelled", "已撤销"

    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="leave_requests", verbose_name="学生")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="leave_requests",
                             verbose_name="学期")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    # Particular lessons only (empty: every lesson of the days).
    lessons = models.ManyToManyField(Lesson, blank=True, related_name="leave_requests",
                                     verbose_name="课次")
    reason = models.CharField("请假原因", max_length=200)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+", verbose_name="申请人")
    # Set when a member of staff recorded the leave on the family's behalf (a phone call).
    recorded_by_staff = models.BooleanField("老师代为登记", default=False)
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="审批人")
    decision_comment = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")),
                                   name="leave_start_before_end"),
        ]
        indexes = [models.Index(fields=["student", "start_date", "end_date"])]

    def __str__(self):
        return f"{self.student} {self.start_date}–{self.end_date} {self.get_status_display()}"


class LeaveRequestChange(StatusChange):
    """The history of a leave request's moves (codes, as :mod:`afterschool.workflow` writes)."""

    leave = models.ForeignKey(LeaveRequest, on_delete=models.CASCADE, related_name="changes",
                              verbose_name="请假")
    from_status = models.CharField("原状态", max_length=20, choices=LeaveRequest.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=LeaveRequest.Status.choices)

    class Meta:
        verbose_name = "请假记录"
        verbose_name_plural = "请假记录"
        ordering = ["leave", "at", "pk"]

    def __str__(self):
        return f"{self.leave}: {self.from_status} → {self.to_status}"


class AbsenceAlert(models.Model):
    """A 缺勤 without approved leave: an alarm someone must answer, not a statistic."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        ESCALATED = "escalated", "已升级"
        HANDLED = "handled", "已处理"

    record = models.OneToOneField(AttendanceRecord, on_delete=models.CASCADE,
                                  related_name="alert", verbose_name="点名记录")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="absence_alerts", verbose_name="学生")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="alerts",
                               verbose_name="课次")
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.OPEN, db_index=True)
    raised_at = models.DateTimeField("提醒时间", default=timezone.now)
    notified_at = models.DateTimeField("已通知", null=True, blank=True)
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="处理人")
    outcome = models.CharField("处理结果", max_length=200, blank=True)

    class Meta:
        verbose_name = "缺勤提醒"
        verbose_name_plural = "缺勤提醒"
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="handled") | (Q(handled_at__isnull=False) & ~Q(outcome="")),
                name="absence_alert_handled_has_outcome"),
        ]

    def __str__(self):
        return f"{self.student} {self.lesson} {self.get_status_display()}"


# ---------------------------------------------------------------------------- dismissal (放学交接)


class PickupChange(models.Model):
    """A guardian's change of who collects the child on one day ("今天由外婆接")."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="pickup_changes", verbose_name="学生")
    date = models.DateField("日期")
    name = models.CharField("接送人姓名", max_length=50)
    relation = models.CharField("与学生关系", max_length=20)
    phone = models.CharField("手机号", max_length=11)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="登记人")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "当日接送人"
        verbose_name_plural = "当日接送人"
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "date", "phone"],
                                    name="pickup_change_unique_person"),
        ]

    def __str__(self):
        return f"{self.date:%m月%d日} {self.name}（{self.relation}）"


class PickupCode(models.Model):
    """The one-time code a guardian shows at the gate, naming who collects the child that day.

    Six digits, drawn with ``secrets``; unique per school and day so the scan finds one child,
    and useless to a guesser: wrong codes are counted per lesson (:class:`PickupCodeFailure`).
    A child has one code a day; asking again replaces it.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="pickup_codes", verbose_name="学生")
    date = models.DateField("日期")
    code = models.CharField("接送码", max_length=6)
    person_name = models.CharField("接送人", max_length=50)
    person_relation = models.CharField("与学生关系", max_length=20)
    person_phone = models.CharField("手机号", max_length=11, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="生成人")
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "接送码"
        verbose_name_plural = "接送码"
        ordering = ["-date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="pickup_code_one_per_day"),
            models.UniqueConstraint(fields=["school", "date", "code"],
                                    name="pickup_code_unique_per_school_day"),
        ]

    def __str__(self):
        return f"{self.student} {self.date:%m月%d日} 接送码"


class PickupCodeFailure(models.Model):
    """A wrong pickup code typed or scanned: counted per lesson (and per person) to stop
    guessing."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name="课次")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name="输入人")
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "接送码错误"
        verbose_name_plural = "接送码错误"
        indexes = [models.Index(fields=["lesson", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M}"


class Dismissal(models.Model):
    """How one child left on one day: handed over by whom, to whom, how, when."""

    class Method(models.TextChoices):
        PICKED_UP = "picked_up", "家长接走"
        GATE = "gate", "护送出校门"
        BUS = "bus", "送上校车"
        DORMITORY = "dormitory", "交宿舍"

    class Via(models.TextChoices):
        GROUP = "group", "整组放学"
        CODE = "code", "接送码"
        LIST = "list", "授权名单"
        CONFIRMED = "confirmed", "名单外，值日教师确认"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="dismissals",
                                verbose_name="学生")
    date = models.DateField("日期")
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="dismissals", verbose_name="放学课次")
    method = models.CharField("离校方式", max_length=20, choices=Method.choices)
    via = models.CharField("交接依据", max_length=20, choices=Via.choices)
    # To whom: the person (picked up), the route (bus), or the dormitory.
    to_name = models.CharField("接收人", max_length=50, blank=True)
    to_relation = models.CharField("与学生关系", max_length=20, blank=True)
    to_phone = models.CharField("接收人电话", max_length=11, blank=True)
    bus_route = models.CharField("校车线路", max_length=50, blank=True)
    pickup_code = models.ForeignKey(PickupCode, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name="接送码")
    # For a person not on the list: the duty teacher who confirmed, and how.
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="确认人")
    note = models.CharField("说明", max_length=200, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name="交接人")
    # "tutor" or "duty": in whose custody the child was when released.
    released_as = models.CharField("交接身份", max_length=20)
    released_at = models.DateTimeField("交接时间", default=timezone.now)

    class Meta:
        verbose_name = "放学交接"
        verbose_name_plural = "放学交接"
        ordering = ["-date", "released_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="dismissal_one_per_day"),
            models.CheckConstraint(condition=~Q(method="picked_up") | ~Q(to_name=""),
                                   name="dismissal_pickup_names_person"),
            models.CheckConstraint(condition=~Q(via="confirmed") | Q(confirmed_by__isnull=False),
                                   name="dismissal_unlisted_confirmed"),
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self):
        return f"{self.student} {self.date:%m月%d日} {self.get_method_display()}"


class DutyHandover(models.Model):
    """A child passed to the day's duty teacher: not released in time after the last lesson,
    or collected by someone not on the list (the duty teacher checks and confirms)."""

    class Reason(models.TextChoices):
        OVERDUE = "overdue", "超时未接"
        UNLISTED = "unlisted", "名单外接送人待确认"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="duty_handovers", verbose_name="学生")
    date = models.DateField("日期")
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="duty_handovers", verbose_name="放学课次")
    reason = models.CharField("原因", max_length=20, choices=Reason.choices)
    # The person at the gate, when not on the list.
    person_name = models.CharField("来接人", max_length=50, blank=True)
    person_relation = models.CharField("与学生关系", max_length=20, blank=True)
    person_phone = models.CharField("来接人电话", max_length=11, blank=True)
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name="移交人")
    handed_at = models.DateTimeField("移交时间", default=timezone.now)
    escalated_at = models.DateTimeField("通知办公室时间", null=True, blank=True)

    class Meta:
        verbose_name = "移交值日教师"
        verbose_name_plural = "移交值日教师"
        ordering = ["date", "handed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "date"], name="duty_handover_one_per_day"),
            models.CheckConstraint(condition=~Q(reason="unlisted") | ~Q(person_name=""),
                                   name="duty_handover_unlisted_names_person"),
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self):
        return f"{self.student} {self.date:%m月%d日} {self.get_reason_display()}"


class DismissalDay(models.Model):
    """A school's day of dismissal: when it closed (every child present accounted for)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    date = models.DateField("日期")
    closed_at = models.DateTimeField("全员离校时间", null=True, blank=True)
    released = models.PositiveIntegerField("离校人数", default=0)

    class Meta:
        verbose_name = "放学日"
        verbose_name_plural = "放学日"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="dismissal_day_unique"),
        ]

    def __str__(self):
        return f"{self.school} {self.date:%m月%d日}"
