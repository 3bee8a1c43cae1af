"""A family's rights to its data and how long the school keeps it.

- :class:`RetentionPolicy`: per school, how many days after a term ends its families' personal
  details are kept (``manage.py purge_expired`` anonymises them after that).
- :class:`DataRequest`: a guardian's request to correct or delete personal information, which
  the office carries out or refuses with a legal reason; its moves are kept in
  :class:`DataRequestChange` (:mod:`privacy.transitions`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from afterschool.models import Guardian, School, StatusChange, Student

RETENTION_MIN_DAYS = 30
RETENTION_MAX_DAYS = 3650
RETENTION_DEFAULT_DAYS = 365


class RetentionPolicy(models.Model):
    """How long a school keeps a term's personal details after the term ends."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="retention_policy", verbose_name="学校")
    retention_days = models.PositiveIntegerField(
        "学期结束后保存天数", default=RETENTION_DEFAULT_DAYS,
        validators=[MinValueValidator(RETENTION_MIN_DAYS), MaxValueValidator(RETENTION_MAX_DAYS)],
        help_text="学期结束满这些天后，意向书中的健康情况、过敏史、紧急联系电话，授权接送人、"
                  "当日接送人、放学交接的接收人姓名和电话，以及名册导入文件将被清除。")
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="修改人")

    class Meta:
        verbose_name = "个人信息保存期限"
        verbose_name_plural = "个人信息保存期限"
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__gte=RETENTION_MIN_DAYS,
                            retention_days__lte=RETENTION_MAX_DAYS),
                name="retention_days_in_range"),
        ]

    def __str__(self):
        return f"{self.school}：学期结束后保存 {self.retention_days} 天"


class DataRequest(models.Model):
    """A guardian's request to correct or delete personal information (PIPL arts. 46, 47)."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "更正申请"
        DELETION = "deletion", "删除申请"

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        DONE = "done", "已办理"
        REFUSED = "refused", "不予办理"
        WITHDRAWN = "withdrawn", "已撤回"

    class LegalReason(models.TextChoices):
        STILL_NEEDED = "still_needed", ("处理目的尚未实现：孩子仍在参加课后服务，点名、接送和安全管理"
                                        "需要这些信息（《个人信息保护法》第四十七条）")
        RETENTION_PERIOD = "retention_period", ("法律、行政法规规定的保存期限尚未届满，学校仅作存储"
                                                "和安全保护，不再作其他处理（《个人信息保护法》第四十七条）")
        ACCURATE = "accurate", "经核实，所涉信息准确、完整，无需更正（《个人信息保护法》第四十六条）"
        IDENTITY = "identity", "无法核实申请人是该学生的监护人"
        OTHER = "other", "其他法定理由（见说明）"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="data_requests",
                               verbose_name="学校")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="data_requests",
                                 verbose_name="申请家长")
    # Whose information: a child; empty for the guardian's own details (a correction).
    student = models.ForeignKey(Student, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="data_requests", verbose_name="学生")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    text = models.TextField("申请内容", max_length=1000)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    legal_reason = models.CharField("不予办理的理由", max_length=30, choices=LegalReason.choices,
                                    blank=True)
    # What the office did, or why it refused (the reason in the office's words).
    outcome = models.TextField("办理说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="提交账号")
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="办理人")
    decided_at = models.DateTimeField("办理时间", null=True, blank=True)

    class Meta:
        verbose_name = "个人信息申请"
        verbose_name_plural = "个人信息申请"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="deletion") | Q(student__isnull=False),
                                   name="data_request_deletion_names_child"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(legal_reason=""),
                                   name="data_request_refusal_has_reason"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(status="withdrawn") | Q(decided_at__isnull=False),
                name="data_request_decision_dated"),
            models.UniqueConstraint(fields=["guardian", "student", "kind"],
                                    condition=Q(status="pending", student__isnull=False),
                                    name="data_request_one_pending_per_child"),
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def subject_label(self) -> str:
        return self.student.name if self.student_id else f"家长本人（{self.guardian.name}）"


class DataRequestChange(StatusChange):
    """The history of a request's moves (codes, as :mod:`afterschool.workflow` writes)."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="changes",
                                verbose_name="申请")
    from_status = models.CharField("原状态", max_length=20, choices=DataRequest.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=DataRequest.Status.choices)

    class Meta:
        verbose_name = "个人信息申请记录"
        verbose_name_plural = "个人信息申请记录"
        ordering = ["request", "at", "pk"]

    def __str__(self):
        return f"{self.request}: {self.from_status} → {self.to_status}"


class DataExport(models.Model):
    """A guardian's download of the family's data: who, when, from where, and how many rows of
    each part were handed out. The access log (:class:`afterschool.models.SensitiveAccess`) is
    of the school's access, not a family reading its own; this is the family's side."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="data_exports",
                                 verbose_name="家长")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="+", verbose_name="下载账号")
    # Section key → rows handed out, e.g. {"attendance": 112}.
    sections = models.JSONField("导出内容", default=dict)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "个人信息下载记录"
        verbose_name_plural = "个人信息下载记录"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.guardian}"
