"""The school itself: the tenant, its calendar, its people and who may do what."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# WEEKDAY_LABELS stays importable from here: apps above the core read it from the models module.
from .formatting import WEEKDAY_LABELS, weekdays_text  # noqa: F401
from .storage import private_storage

phone_validator = RegexValidator(r"^1\d{10}$", "请输入 11 位手机号码。")

WEEKDAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone, password=None, **extra):
        if not phone:
            raise ValueError("必须提供手机号码。")
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login: everyone signs in with a mobile phone number and a password."""

    phone = models.CharField("手机号", max_length=11, unique=True, validators=[phone_validator])
    name = models.CharField("姓名", max_length=50, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    is_active = models.BooleanField("启用", default=True)
    is_staff = models.BooleanField("可进入管理后台", default=False)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)
    # Set when the office hands over a temporary password: the next page is "change it".
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return f"{self.name}（{self.phone}）" if self.name else self.phone

    def get_full_name(self):
        return self.name or self.phone

    def get_short_name(self):
        return self.name or self.phone


class School(models.Model):
    """The tenant: every other row belongs to exactly one school."""

    name = models.CharField("学校名称", max_length=100)
    code = models.SlugField("学校代码", max_length=30, unique=True)
    district = models.CharField("所属教育局", max_length=100, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    subsidy_per_period = models.DecimalField(
        "每课时补助（元）", max_digits=8, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = "学校"
        verbose_name_plural = "学校"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Term(models.Model):
    """A service period with its calendar, daily periods and application window."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms",
                               verbose_name="学校")
    name = models.CharField("学期名称", max_length=100)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    # ISO weekday numbers, 1 = Monday … 7 = Sunday.
    service_weekdays = models.JSONField("服务日", default=list)
    application_opens_at = models.DateTimeField("意向书开放时间", null=True, blank=True)
    application_closes_at = models.DateTimeField("意向书截止时间", null=True, blank=True)
    max_preferences = models.PositiveSmallIntegerField(
        "最多志愿数", default=3, validators=[MinValueValidator(1), MaxValueValidator(10)])
    max_courses_per_student = models.PositiveSmallIntegerField(
        "每生最多课程数", default=1, validators=[MinValueValidator(1), MaxValueValidator(5)])
    service_content = models.TextField("服务内容", blank=True)
    schedule_text = models.TextField("作息安排", blank=True)
    safety_text = models.TextField("安全措施", blank=True)
    voluntary_statement = models.TextField(
        "自愿免费声明", blank=True,
        default="课后服务遵循学生和家长自愿原则，不收取任何费用。家长可根据需要自愿选择是否参加。")
    is_current = models.BooleanField("当前学期", default=False)
    activation_valid_days = models.PositiveSmallIntegerField(
        "激活码有效天数", default=30, validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text="从打印《致家长的一封信》起计算")

    class Meta:
        verbose_name = "学期"
        verbose_name_plural = "学期"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")),
                                   name="term_start_before_end"),
            models.CheckConstraint(
                condition=Q(application_opens_at__isnull=True)
                | Q(application_closes_at__isnull=True)
                | Q(application_opens_at__lt=F("application_closes_at")),
                name="term_window_opens_before_closes"),
            models.UniqueConstraint(fields=["school"], condition=Q(is_current=True),
                                    name="term_one_current_per_school"),
        ]

    def __str__(self):
        return self.name

    @property
    def weekday_labels(self):
        return weekdays_text(self.service_weekdays)

    def window_is_open(self, at=None):
        at = at or timezone.now()
        if self.application_opens_at is None or self.application_closes_at is None:
            return False
        return self.application_opens_at <= at < self.application_closes_at


class Period(models.Model):
    """A daily time slot of a term, e.g. 第1节 16:40–17:20."""

    class Kind(models.TextChoices):
        HOMEWORK = "homework", "作业辅导"
        COURSE = "course", "特色课程"
        READING = "reading", "阅读写字"
        OTHER = "other", "其他"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="periods",
                             verbose_name="学期")
    number = models.PositiveSmallIntegerField("节次", validators=[MinValueValidator(1)])
    start_time = models.TimeField("开始时间")
    end_time = models.TimeField("结束时间")
    kind = models.CharField("内容", max_length=20, choices=Kind.choices, default=Kind.COURSE)

    class Meta:
        verbose_name = "节次"
        verbose_name_plural = "节次"
        ordering = ["term", "number"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number"], name="period_unique_number"),
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")),
                                   name="period_start_before_end"),
        ]

    def __str__(self):
        return f"第{self.number}节 {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Grade(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="grades",
                               verbose_name="学校")
    number = models.PositiveSmallIntegerField(
        "年级", validators=[MinValueValidator(1), MaxValueValidator(12)])
    name = models.CharField("名称", max_length=20)

    class Meta:
        verbose_name = "年级"
        verbose_name_plural = "年级"
        ordering = ["school", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="grade_unique_number"),
        ]

    def __str__(self):
        return self.name


class Staff(models.Model):
    """A teacher or an external instructor (校外教师) of one school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff",
                               verbose_name="学校")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="staff_profiles", verbose_name="登录账号")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=11, validators=[phone_validator])
    subjects = models.CharField("任教学科", max_length=100, blank=True,
                                help_text="多个学科用顿号或逗号分隔")
    is_external = models.BooleanField("校外教师", default=False)
    # ISO weekday numbers the person can take after-school service on.
    available_weekdays = models.JSONField("可服务日", default=list, blank=True)
    max_weekly_lessons = models.PositiveSmallIntegerField("每周最多课次", default=8)
    is_active = models.BooleanField("在职", default=True)

    class Meta:
        verbose_name = "教职工"
        verbose_name_plural = "教职工"
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "phone"], name="staff_unique_phone"),
        ]

    def __str__(self):
        return self.name

    @property
    def subject_list(self):
        return [s for s in self.subjects.replace("，", ",").replace("、", ",").split(",") if s]


class Homeroom(models.Model):
    """A homeroom class (班级) and its 班主任."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="homerooms",
                               verbose_name="学校")
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="homerooms",
                              verbose_name="年级")
    number = models.PositiveSmallIntegerField("班号", validators=[MinValueValidator(1)])
    head_teacher = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="homerooms", verbose_name="班主任")

    class Meta:
        verbose_name = "班级"
        verbose_name_plural = "班级"
        ordering = ["school", "grade__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grade", "number"], name="homeroom_unique_number"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return f"{self.grade.name}{self.number}班"

    @property
    def short_label(self):
        return f"{self.grade.number}-{self.number}"


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="students",
                               verbose_name="学校")
    student_no = models.CharField("学籍号", max_length=30)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    homeroom = models.ForeignKey(Homeroom, on_delete=models.PROTECT, related_name="students",
                                 verbose_name="班级")
    is_boarder = models.BooleanField("寄宿", default=False)
    is_active = models.BooleanField("在读", default=True)
    guardians = models.ManyToManyField("Guardian", through="StudentGuardian",
                                       related_name="students", verbose_name="监护人")

    class Meta:
        verbose_name = "学生"
        verbose_name_plural = "学生"
        ordering = ["homeroom__grade__number", "homeroom__number", "student_no"]
        constraints = [
            models.UniqueConstraint(fields=["school", "student_no"],
                                    name="student_unique_no_per_school"),
        ]

    def __str__(self):
        return self.name


def new_activation_code():
    # No 0/O/1/I: the code is read off paper and typed on a phone.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Guardian(models.Model):
    """A parent or other guardian: one per phone number in a school; siblings share one."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="guardians",
                               verbose_name="学校")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="guardian_profiles",
                             verbose_name="登录账号")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("手机号", max_length=11, validators=[phone_validator])
    email = models.EmailField("电子邮箱", blank=True)
    activation_code = models.CharField("激活码", max_length=8, default=new_activation_code)
    # A code reaches the family only on the printed letter: it is valid from the printing
    # until it expires or is used, once; a reissued code starts unprinted again.
    letter_printed_at = models.DateTimeField("家长信打印时间", null=True, blank=True)
    activation_expires_at = models.DateTimeField("激活码失效时间", null=True, blank=True)
    activation_used_at = models.DateTimeField("激活码使用时间", null=True, blank=True)
    activated_at = models.DateTimeField("激活时间", null=True, blank=True)

    class Meta:
        verbose_name = "监护人"
        verbose_name_plural = "监护人"
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "phone"], name="guardian_unique_phone"),
        ]

    def __str__(self):
        return self.name

    def code_is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return (self.activation_used_at is None and self.activation_expires_at is not None
                and at < self.activation_expires_at)

    @property
    def letter_printable(self) -> bool:
        """The letter can be printed: no login yet, and this code has never been on paper."""
        return (self.user_id is None and self.letter_printed_at is None
                and self.activation_used_at is None)

    @property
    def letter_status(self) -> str:
        """Where this family's login stands, for the office and the homeroom teacher."""
        if self.user_id:
            return "已激活"
        if self.activation_used_at:
            return "激活码已使用"
        if self.letter_printed_at is None:
            return "家长信未打印"
        if not self.code_is_usable():
            return "激活码已过期"
        return "家长信已打印，待激活"


class StudentGuardian(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    relation = models.CharField("与学生关系", max_length=20, blank=True)
    is_primary = models.BooleanField("第一监护人", default=True)

    class Meta:
        verbose_name = "学生监护关系"
        verbose_name_plural = "学生监护关系"
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"],
                                    name="student_guardian_unique"),
        ]

    def __str__(self):
        return f"{self.guardian}（{self.student}的{self.relation or '监护人'}）"


class Role(models.TextChoices):
    GUARDIAN = "guardian", "家长"
    HOMEROOM_TEACHER = "homeroom_teacher", "班主任"
    TUTOR = "tutor", "辅导教师"
    EXTERNAL_INSTRUCTOR = "external_instructor", "校外教师"
    DUTY_TEACHER = "duty_teacher", "值日教师"
    COORDINATOR = "coordinator", "课后服务办公室"
    PRINCIPAL = "principal", "校长"
    DISTRICT_OFFICER = "district_officer", "教育局"


class RoleAssignment(models.Model):
    """A role granted explicitly; the roles that follow from data are derived in access.py.

    Guardian, homeroom teacher, tutor and external instructor follow from the rows that make
    a person one (a guardian link, a homeroom's 班主任, a staff profile); coordinators,
    principals, duty teachers and district officers are granted here. A district officer's
    assignment names a district instead of a school.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="role_assignments", verbose_name="用户")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="role_assignments", verbose_name="学校")
    district = models.CharField("教育局", max_length=100, blank=True)
    title = models.CharField("职务", max_length=30, blank=True,
                             help_text="如 领导小组组长、副组长、成员")

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "school"],
                                    name="role_unique_per_school"),
            models.CheckConstraint(
                condition=Q(role="district_officer", school__isnull=True) & ~Q(district="")
                | ~Q(role="district_officer") & Q(school__isnull=False),
                name="role_scope_matches_kind"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


class Notice(models.Model):
    """An in-app message on a person's home page (e.g. a review decision)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notices", verbose_name="接收人")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="notices",
                               verbose_name="学校")
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    # A caller's name for "this notice, once": e.g. one reminder per family per day. Empty for
    # notices that may repeat.
    key = models.CharField("去重标识", max_length=100, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""),
                                    name="notice_unique_key_per_user"),
        ]

    def __str__(self):
        return self.title


class ImportJob(models.Model):
    """A roster upload: validated, then written all at once, with progress for large files."""

    class Kind(models.TextChoices):
        STUDENTS = "students", "学生及监护人名册"
        STAFF = "staff", "教职工名册"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "处理中"
        FAILED = "failed", "有错误，未导入"
        DONE = "done", "已完成"
        INTERRUPTED = "interrupted", "已中断，未导入"
        # Valid, but it would create grades or homerooms the school lacks: a person confirms.
        AWAITING = "awaiting", "待确认，未导入"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs",
                               verbose_name="学校")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    # Private: a roster lists children and phone numbers (see afterschool/storage.py).
    file = models.FileField("文件", upload_to="imports/%Y/%m/", storage=private_storage)
    original_name = models.CharField("文件名", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name="上传人")
    created_at = models.DateTimeField("上传时间", default=timezone.now)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.PENDING)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    summary = models.JSONField("结果", default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Heartbeat and claim: a job silent past its time limit lost its worker (see
    # ``afterschool.roster.import_jobs_sweep``); ``attempts`` caps redeliveries of a job that
    # kills its worker every time.
    updated_at = models.DateTimeField("最近进展", default=timezone.now)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    task_id = models.CharField("任务标识", max_length=50, blank=True)

    class Meta:
        verbose_name = "名册导入"
        verbose_name_plural = "名册导入"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self):
        if not self.total_rows:
            return 0 if self.status in (self.Status.PENDING, self.Status.RUNNING) else 100
        return min(100, round(100 * self.processed_rows / self.total_rows))


class AccountLink(models.Model):
    """A school's staff or guardian row waiting for the existing login of its phone to accept it.

    Rosters name people by phone, and a phone may already have a login (a teacher who is also a
    parent, a parent of children in two schools — or someone a roster names by mistake or on
    purpose). The row's ``user`` stays empty until that login's owner accepts, so an
    unaccepted link gives nothing to anyone; the login itself is never changed by it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        ACCEPTED = "accepted", "已确认"
        REFUSED = "refused", "已拒绝"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="account_links", verbose_name="已有账号")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="account_links",
                               verbose_name="学校")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="account_links", verbose_name="教职工")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="account_links", verbose_name="监护人")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name="发起人")
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    status = models.CharField("状态", max_length=20, choices=Status.choices,
                              default=Status.PENDING)
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "账号关联"
        verbose_name_plural = "账号关联"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False, guardian__isnull=True)
                | Q(staff__isnull=True, guardian__isnull=False),
                name="account_link_staff_or_guardian"),
            models.UniqueConstraint(fields=["user", "staff"], condition=Q(status="pending"),
                                    name="account_link_one_pending_per_staff"),
            models.UniqueConstraint(fields=["user", "guardian"], condition=Q(status="pending"),
                                    name="account_link_one_pending_per_guardian"),
        ]

    def __str__(self):
        return f"{self.user} → {self.subject}（{self.get_status_display()}）"

    @property
    def subject(self) -> str:
        if self.staff_id:
            return f"{self.school.name} 教职工 {self.staff.name}"
        children = "、".join(link.student.name for link in self.guardian.student_links.all())
        return f"{self.school.name} {children or '学生'}的监护人"


class AccountEventQuerySet(models.QuerySet):
    def claim_of(self, *, user, guardian) -> "AccountEvent | None":
        """The activation or accepted link through which ``user`` became ``guardian``'s login."""
        if user is None or guardian is None:
            return None
        return (self.filter(target=user, guardian=guardian,
                            kind__in=["activation", "link_accepted"])
                .order_by("-at", "-pk").first())


class AccountEvent(models.Model):
    """Who did what to a login, when and from where: the school's record of account changes.

    Every password reset, activation, link (asked, accepted, refused), code reissue and
    printed letter is one row; the principal reads them, and an agreement's signature names the
    activation or link its login came through.
    """

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "重置密码"
        LOGIN_CREATED = "login_created", "新建登录账号"
        ACTIVATION = "activation", "家长激活"
        LINK_REQUESTED = "link_requested", "关联已有账号（待本人确认）"
        LINK_ACCEPTED = "link_accepted", "本人确认关联"
        LINK_REFUSED = "link_refused", "本人拒绝关联"
        CODE_REISSUED = "code_reissued", "重新发放激活码"
        LETTER_PRINTED = "letter_printed", "打印家长信"
        STAFF_DEACTIVATED = "staff_deactivated", "教职工停用（离职）"
        ROLE_REMOVED = "role_removed", "移除角色"

    kind = models.CharField("事项", max_length=30, choices=Kind.choices)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="account_events", verbose_name="学校")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name="操作人")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="account_events",
                               verbose_name="涉及账号")
    staff = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name="教职工")
    guardian = models.ForeignKey(Guardian, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name="监护人")
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    detail = models.CharField("说明", max_length=200, blank=True)

    objects = AccountEventQuerySet.as_manager()

    class Meta:
        verbose_name = "账号记录"
        verbose_name_plural = "账号记录"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["school", "-at"]),
                   models.Index(fields=["target", "guardian", "kind"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class SensitiveAccess(models.Model):
    """One child's sensitive details seen or exported by one person: the access log that the
    principal reads and that a guardian reads about their own child (PIPL art. 28, 31).

    Written by :func:`afterschool.audit.log_access` only, one row per child per page view or
    export (all rows of a request in one insert); removed past
    ``settings.ACCESS_LOG_RETENTION_DAYS`` by :func:`afterschool.audit.sensitive_access_purge`.
    """

    class Kind(models.TextChoices):
        HEALTH = "health", "健康情况与过敏史"
        PICKUP = "pickup", "授权接送人"
        PHONE = "phone", "完整手机号"
        FULL_PHONE_EXPORT = "full_phone_export", "导出完整手机号"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+",
                               verbose_name="学校")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name="查看人")
    # The name when it happened: the log still reads after a login is renamed or removed.
    user_name = models.CharField("查看人姓名", max_length=50, blank=True)
    role = models.CharField("身份", max_length=30, choices=Role.choices)
    student = models.ForeignKey(Student, on_delete=models.CASCADE,
                                related_name="sensitive_accesses", verbose_name="学生")
    # Codes of Kind: what the page or file showed of this child.
    kinds = models.JSONField("查看内容", default=list)
    place = models.CharField("页面或文件", max_length=120)
    is_export = models.BooleanField("导出", default=False)
    path = models.CharField("网址", max_length=200, blank=True)
    reason = models.CharField("导出原因", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "敏感信息访问记录"
        verbose_name_plural = "敏感信息访问记录"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["school", "-at"]),
                   models.Index(fields=["student", "-at"]),
                   models.Index(fields=["user", "-at"]),
                   models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_name} {self.place}"

    @property
    def kind_labels(self) -> list[str]:
        labels = dict(self.Kind.choices)
        return [labels.get(k, k) for k in self.kinds]


class ActivationFailure(models.Model):
    """A wrong code typed on /activate/: counted per phone and per address to stop guessing."""

    phone = models.CharField("手机号", max_length=11)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "激活失败"
        verbose_name_plural = "激活失败"
        indexes = [models.Index(fields=["phone", "at"]), models.Index(fields=["ip_address", "at"]),
                   models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.phone} {self.at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One notice sent (or to be sent) through one channel besides the in-app list.

    Also the outbox: a row is written in the same transaction as its notice, so a notice whose
    task never reached the broker is still ``pending`` here and the sweep sends it later. One
    row per notice and channel (a constraint), so sending twice is impossible by construction.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "邮件"
        SMS = "sms", "短信"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries",
                               verbose_name="通知")
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    address = models.CharField("发送地址", max_length=254)
    status = models.CharField("状态", max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    error = models.CharField("失败原因", max_length=300, blank=True)
    provider_ref = models.CharField("服务商回执", max_length=100, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # Last handed to the broker; the sweep re-queues a pending row queued long ago or never.
    queued_at = models.DateTimeField("入队时间", null=True, blank=True)
    # Not before: the retry backoff, or the lease of a send in progress.
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知发送记录"
        verbose_name_plural = "通知发送记录"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"],
                                    name="delivery_one_per_notice_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} {self.address} {self.get_status_display()}"


class NoticePreference(models.Model):
    """How a person wants to hear about notices besides the in-app list (always on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notice_preference", verbose_name="用户")
    email = models.BooleanField("同时发送邮件（填写了邮箱时）", default=True)
    sms = models.BooleanField("同时发送短信（重要通知）", default=True)

    class Meta:
        verbose_name = "通知方式"
        verbose_name_plural = "通知方式"

    def __str__(self):
        return f"{self.user} 的通知方式"


class StatusChange(models.Model):
    """The columns every state machine's history row shares (:mod:`afterschool.workflow`
    writes them): who moved it, in which role, when, and why. A concrete history model adds
    its subject and ``from_status`` / ``to_status`` with its own status choices."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name="操作人")
    actor_role = models.CharField("操作身份", max_length=30, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    comment = models.TextField("说明", blank=True)

    class Meta:
        abstract = True
