"""The course catalog (社团, 走班 and per-homeroom courses) and its concrete sections."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from afterschool.formatting import slot_label
from afterschool.models import (
    WEEKDAY_CODES,
    Grade,
    Homeroom,
    Period,
    School,
    Staff,
    Term,
)
from afterschool.norms import STUDENTS_PER_TUTOR

BUILTIN_CATEGORIES = ["艺术素养", "语言素养", "操作技巧", "体育技能", "作业辅导", "阅读写字",
                      "培优辅潜", "名师课堂"]


class Course(models.Model):
    """A catalog entry of one term: what it is, who may take it, how it is staffed."""

    class Mode(models.TextChoices):
        MIXED = "mixed", "走班（跨班混合）"
        HOMEROOM = "homeroom", "按班级开展"

    class InstructorKind(models.TextChoices):
        ANY = "any", "不限"
        INTERNAL = "internal", "校内教师"
        EXTERNAL = "external", "校外教师"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="courses",
                               verbose_name="学校")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="courses",
                             verbose_name="学期")
    name = models.CharField("课程名称", max_length=50)
    category = models.CharField("类别", max_length=30,
                                help_text="如：" + "、".join(BUILTIN_CATEGORIES) + "，也可自定义")
    description = models.TextField("课程简介", blank=True)
    picture = models.FileField("图片", upload_to="courses/%Y/", blank=True)
    grades = models.ManyToManyField(Grade, related_name="courses", verbose_name="面向年级")
    mode = models.CharField("组织形式", max_length=20, choices=Mode.choices, default=Mode.MIXED)
    min_size = models.PositiveSmallIntegerField("最少开班人数", default=0)
    instructor_subject = models.CharField("师资学科要求", max_length=50, blank=True)
    instructor_kind = models.CharField("师资来源", max_length=20, choices=InstructorKind.choices,
                                       default=InstructorKind.ANY)
    # Fixed items (Monday's reading and writing, homework tutoring) are for everyone who
    # attends: nobody chooses them, so they are never a preference.
    is_fixed = models.BooleanField("全员固定项目（无需报名）", default=False)
    is_active = models.BooleanField("开放", default=True)

    class Meta:
        verbose_name = "课程"
        verbose_name_plural = "课程"
        ordering = ["term", "category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="course_unique_name_per_term"),
        ]

    def __str__(self):
        return self.name


class Section(models.Model):
    """A concrete group (教学班) of at most ``capacity`` students with its tutors and slots."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections",
                               verbose_name="课程")
    name = models.CharField("教学班名称", max_length=50)
    capacity = models.PositiveSmallIntegerField(
        "容量", default=STUDENTS_PER_TUTOR,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=f"一名辅导教师对应不超过 {STUDENTS_PER_TUTOR} 名学生")
    venue = models.CharField("上课地点", max_length=50, blank=True)
    homeroom = models.ForeignKey(Homeroom, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="sections", verbose_name="所属班级",
                                 help_text="按班级开展的课程填写")
    tutors = models.ManyToManyField(Staff, blank=True, related_name="sections",
                                    verbose_name="辅导教师")

    class Meta:
        verbose_name = "教学班"
        verbose_name_plural = "教学班"
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="section_unique_name"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="section_capacity_positive"),
        ]

    def __str__(self):
        return f"{self.course.name} · {self.name}"


class SectionSlot(models.Model):
    """When a section meets: an ISO weekday and one of the term's daily periods."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="slots",
                                verbose_name="教学班")
    weekday = models.PositiveSmallIntegerField(
        "星期", validators=[MinValueValidator(1), MaxValueValidator(7)])
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="section_slots",
                               verbose_name="节次")

    class Meta:
        verbose_name = "上课时间"
        verbose_name_plural = "上课时间"
        ordering = ["section", "weekday", "period__number"]
        constraints = [
            models.UniqueConstraint(fields=["section", "weekday", "period"],
                                    name="slot_unique_per_section"),
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7),
                                   name="slot_weekday_range"),
        ]

    def __str__(self):
        return slot_label(self.weekday, self.period.number)

    @property
    def code(self) -> str:
        """The exchange format's slot id, e.g. ``tue-2``."""
        return f"{WEEKDAY_CODES[self.weekday - 1]}-{self.period.number}"
