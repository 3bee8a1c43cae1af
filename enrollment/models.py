"""The intention form (意向书), its ranked choices, the signed agreement and its history."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from afterschool.models import School, Student, Term
from courses.models import Course


class Agreement(models.Model):
    """The versioned text a guardian signs: 课后服务协议 and 安全责任书 of one term.

    A new version is a new row; signatures point at the version signed, so a changed text
    is visibly unsigned until the guardian signs again.
    """

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="agreements",
                             verbose_name="学期")
    version = models.PositiveIntegerField("版本", validators=[MinValueValidator(1)])
    service_text = models.TextField("课后服务协议")
    safety_text = models.TextField("安全责任书")
    published_at = models.DateTimeField("发布时间", default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="发布人")

    class Meta:
        verbose_name = "服务协议"
        verbose_name_plural = "服务协议"
        ordering = ["term", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["term", "version"], name="agreement_unique_version"),
        ]

    def __str__(self):
        return f"{self.term} 协议第{self.version}版"


class Application(models.Model):
    """One student's intention form for one term, and where it stands in the review."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "等待班主任审核"
        RETURNED = "returned", "退回修改"
        CLASS_APPROVED = "class_approved", "班主任已审核，等待学校复核"
        CLASS_REJECTED = "class_rejected", "班主任未通过"
        SCHOOL_APPROVED = "school_approved", "学校已复核，等待统筹安排"
        SCHOOL_REJECTED = "school_rejected", "学校复核未通过"
        PLACED = "placed", "已统筹安排"
        WITHDRAWN = "withdrawn", "已退出"

    class Dismissal(models.TextChoices):
        PICKED_UP = "picked_up", "家长接送"
        ALONE = "alone", "自行回家"
        BUS = "bus", "乘坐校车"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="applications",
                               verbose_name="学校")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="applications",
                             verbose_name="学期")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="applications",
                                verbose_name="学生")
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    # None until answered; False is a recorded "we do not need the service".
    participates = models.BooleanField("参加课后服务", null=True, blank=True)
    # ISO weekday numbers among the term's service days.
    weekdays = models.JSONField("参加日", default=list, blank=True)
    dismissal = models.CharField("离校方式", max_length=20, choices=Dismissal.choices,
                                 blank=True)
    alone_consent = models.BooleanField("同意孩子自行回家", default=False)
    bus_route = models.CharField("校车线路", max_length=50, blank=True)
    health_notes = models.TextField("健康情况", blank=True)
    allergies = models.CharField("过敏史", max_length=200, blank=True)
    contact_phone = models.CharField("紧急联系电话", max_length=11, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="填写人")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    decision_comment = models.TextField("审核意见", blank=True)
    withdrawn_on = models.DateField("退出生效日期", null=True, blank=True)
    withdraw_reason = models.CharField("退出原因", max_length=200, blank=True)
    # Optimistic lock: every write bumps it, so a stale edit is refused instead of winning.
    revision = models.PositiveIntegerField("修订号", default=0)

    class Meta:
        verbose_name = "课后服务意向书"
        verbose_name_plural = "课后服务意向书"
        ordering = ["student__homeroom__grade__number", "student__homeroom__number",
                    "student__student_no"]
        constraints = [
            models.UniqueConstraint(fields=["student", "term"],
                                    name="application_one_per_student_term"),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_on__isnull=False),
                name="application_withdrawal_has_date"),
            models.CheckConstraint(
                condition=~Q(dismissal="alone") | Q(alone_consent=True),
                name="application_alone_needs_consent"),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdraw_reason=""),
                name="application_withdrawal_has_reason",
                violation_error_message="退出课后服务须填写原因。"),
            models.CheckConstraint(
                condition=~Q(dismissal="bus") | ~Q(bus_route=""),
                name="application_bus_needs_route",
                violation_error_message="选择“乘坐校车”须填写校车线路。"),
        ]
        indexes = [models.Index(fields=["term", "status"])]

    def __str__(self):
        return f"{self.student} · {self.term}"

    @property
    def is_declined(self) -> bool:
        return self.participates is False


class Preference(models.Model):
    """A ranked course choice (志愿); rank 1 is the first choice."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="preferences", verbose_name="意向书")
    rank = models.PositiveSmallIntegerField("志愿顺序", validators=[MinValueValidator(1)])
    course = models.ForeignKey(Course, on_delete=models.PROTECT,
                               related_name="preferences", verbose_name="课程")

    class Meta:
        verbose_name = "志愿"
        verbose_name_plural = "志愿"
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="preference_unique_rank"),
            models.UniqueConstraint(fields=["application", "course"],
                                    name="preference_unique_course"),
        ]

    def __str__(self):
        return f"第{self.rank}志愿：{self.course}"


class PickupPerson(models.Model):
    """Someone the guardian authorises to collect the child (who may be handed over to)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="pickup_persons", verbose_name="意向书")
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("与学生关系", max_length=20)
    phone = models.CharField("手机号", max_length=11)

    class Meta:
        verbose_name = "授权接送人"
        verbose_name_plural = "授权接送人"
        ordering = ["application", "pk"]

    def __str__(self):
        return f"{self.name}（{self.relation}）"


class Signature(models.Model):
    """A guardian's signature of one agreement version: typed name, time and address."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="signatures", verbose_name="意向书")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT,
                                  related_name="signatures", verbose_name="协议版本")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+", verbose_name="签署账号")
    # Which roster guardian the login signed as, and the activation (or accepted link) that
    # gave the login that guardian: a code reissued and used by someone else shows here.
    guardian = models.ForeignKey("afterschool.Guardian", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name="签署监护人")
    activation = models.ForeignKey("afterschool.AccountEvent", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name="账号激活记录")
    signed_name = models.CharField("签名", max_length=50)
    signed_at = models.DateTimeField("签署时间", default=timezone.now)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "协议签署"
        verbose_name_plural = "协议签署"
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "agreement"],
                                    name="signature_once_per_version"),
        ]

    def __str__(self):
        return f"{self.signed_name} 签署 {self.agreement}"


class ApplicationTransition(models.Model):
    """Every move of an application: who, when, from, to, with what comment."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="transitions", verbose_name="意向书")
    from_status = models.CharField("原状态", max_length=20, choices=Application.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=Application.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+", verbose_name="操作人")
    actor_role = models.CharField("操作身份", max_length=30, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    comment = models.TextField("说明", blank=True)
    # Set once the guardians have been told, so the notifying task is safe to run twice.
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)

    class Meta:
        verbose_name = "意向书流转记录"
        verbose_name_plural = "意向书流转记录"
        ordering = ["application", "at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_status=F("to_status")),
                                   name="transition_changes_status"),
        ]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class PrivacyNotice(models.Model):
    """The school's 个人信息保护告知书 for the service: what is collected, why, who sees it, how
    long it is kept, and the family's rights; a separate part for the sensitive information.

    Versioned like the agreement: a new text is a new row, and consents point at the version
    consented to, so a changed notice is asked again at the family's next edit or submission.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="privacy_notices",
                               verbose_name="学校")
    version = models.PositiveIntegerField("版本", validators=[MinValueValidator(1)])
    text = models.TextField("告知书正文")
    sensitive_text = models.TextField("敏感个人信息部分")
    published_at = models.DateTimeField("发布时间", default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="发布人")

    class Meta:
        verbose_name = "个人信息保护告知书"
        verbose_name_plural = "个人信息保护告知书"
        ordering = ["school", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version"],
                                    name="privacy_notice_unique_version"),
        ]

    def __str__(self):
        return f"{self.school} 个人信息保护告知书第{self.version}版"


class PrivacyConsent(models.Model):
    """A guardian's consent for one child to one part of one notice version, and its withdrawal.

    The two parts are separate rows (PIPL art. 29 asks for a separate consent to sensitive
    information). Never deleted: a withdrawal fills in who, when and why, and a later consent
    is a new row, so the history of every yes and no stays readable.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "个人信息处理"
        SENSITIVE = "sensitive", "敏感个人信息（健康情况、过敏史）处理"

    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="privacy_consents", verbose_name="学生")
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, related_name="consents",
                               verbose_name="告知书版本")
    kind = models.CharField("同意事项", max_length=20, choices=Kind.choices)
    guardian = models.ForeignKey("afterschool.Guardian", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name="同意的监护人")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name="操作账号")
    given_at = models.DateTimeField("同意时间", default=timezone.now)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="撤回账号")
    withdrawn_guardian = models.ForeignKey("afterschool.Guardian", on_delete=models.SET_NULL,
                                           null=True, blank=True, related_name="+",
                                           verbose_name="撤回的监护人")
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)
    withdraw_ip_address = models.GenericIPAddressField("撤回 IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "个人信息处理同意"
        verbose_name_plural = "个人信息处理同意"
        ordering = ["student", "-given_at", "-pk"]
        constraints = [
            # One standing consent per child, part and version: a double submit (or both
            # parents at once) records one, and the loser reads the winner's row.
            models.UniqueConstraint(fields=["student", "notice", "kind"],
                                    condition=Q(withdrawn_at__isnull=True),
                                    name="privacy_consent_one_standing"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="privacy_consent_withdrawal_has_reason",
                violation_error_message="撤回同意须填写原因。"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                name="privacy_consent_withdrawn_after_given"),
        ]
        indexes = [models.Index(fields=["student", "kind"])]

    def __str__(self):
        return f"{self.student} · {self.get_kind_display()} · 第{self.notice.version}版"

    @property
    def is_standing(self) -> bool:
        return self.withdrawn_at is None

    @property
    def giver_name(self) -> str:
        """Who consented, as the school knows them (select ``guardian`` and ``given_by``)."""
        person = self.guardian or self.given_by
        return person.name if person else ""

    @property
    def withdrawer_name(self) -> str:
        person = self.withdrawn_guardian or self.withdrawn_by
        return person.name if person else ""
