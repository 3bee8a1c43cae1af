"""Domain errors of the catalog; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool.exceptions import DomainError

COURSE_HAS_PREFERENCES = "「{course}」已有 {count} 条家长志愿，不能删除。如本学期不再开设，请设为停开。"
COURSE_FIXED_HAS_PREFERENCES = "「{course}」已有家长填报志愿，不能改为全员固定项目。"
COURSE_WRONG_TERM = "只能在本校的学期中开设课程。"
COURSE_OTHER_SCHOOL = "该课程不属于本校。"
COURSE_HAS_HOMEROOM_SECTIONS = "该课程已有按班级生成的教学班，改为走班前请先删除这些教学班。"
GRADE_NOT_IN_SCHOOL = "所选年级不属于本校。"
PICTURE_NOT_IMAGE = "请上传图片文件（jpg、jpeg、png、gif 或 webp）。"
PICTURE_TOO_LARGE = "图片不能超过 2 MB，请压缩后再上传。"

SLOT_NOT_IN_TERM = "上课时间须在本学期的服务日和节次之内。"
SECTION_NEEDS_SLOTS = "请至少选择一个上课时间。"
SECTION_HOMEROOM_FOR_MIXED = "走班课程的教学班不属于某个班级，请不要选择所属班级。"
SECTION_HOMEROOM_NOT_IN_GRADES = "{homeroom}不在该课程面向的年级内。"
TUTOR_NOT_IN_SCHOOL = "{tutor}不是本校在职教职工。"
TUTOR_MUST_BE_EXTERNAL = "「{course}」须由校外教师担任，{tutor}是校内教师。"
TUTOR_MUST_BE_INTERNAL = "「{course}」须由校内教师担任，{tutor}是校外教师。"
TUTOR_CLASH = "{tutor}在{slot}已任教「{section}」，同一时间不能再带其他教学班。"
VENUE_CLASH = "{venue}在{slot}已安排给「{section}」，请换一个上课地点或时间。"
# The same, for what another app holds at that time (e.g. a homework group, courses.occupancy).
TUTOR_BUSY_OUTSIDE = "{tutor}在{slot}已带{what}，同一时间不能再带其他教学班。"
VENUE_BUSY_OUTSIDE = "{venue}在{slot}已安排给{what}，请换一个上课地点或时间。"
NOT_PER_HOMEROOM = "只有按班级开展的课程才能为每个班级生成教学班。"
NO_HOMEROOMS = "该课程面向的年级还没有班级，请先导入学生名册。"

# Warnings: saved anyway, shown to the coordinator.
CAPACITY_OVER_RATIO = ("「{section}」容量 {capacity} 人、辅导教师 {tutors} 名："
                       "按一名教师对应 25 名学生，建议配 {needed} 名教师。")
TUTOR_SUBJECT_MISMATCH = "{tutor}的任教学科不含「{subject}」，请确认。"
TUTOR_DAY_UNAVAILABLE = "{tutor}登记的可服务日不含{days}，请确认。"

# ------------------------------------------------------------------ staffing

STAFFING_NOTHING_TO_APPLY = "没有选择要采用的分配。"
STAFFING_SECTION_GONE = "有教学班已被删除或不属于本学期，请重新计算分配方案。"


class CatalogError(DomainError):
    """A rule of the course catalog was broken."""

    message = "课程目录操作失败。"


class ScheduleClash(CatalogError):
    """A tutor or a venue would be in two sections at the same weekday and period."""


class CourseInUse(CatalogError):
    """Guardians have ranked the course: it can be closed, not deleted or made fixed."""
