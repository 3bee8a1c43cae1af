"""Domain errors of the arrangement; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool.exceptions import DomainError
from afterschool.workflow import InvalidTransition

ARRANGEMENT_TRANSITION_NOT_ALLOWED = "统筹安排当前状态为“{current}”，不能改为“{target}”。"
ARRANGEMENT_OTHER_SCHOOL = "该学期不属于本校。"
ARRANGEMENT_RUNNING = "已有一次统筹安排正在计算，请等待完成后再发起。"
ARRANGEMENT_NOT_READY = "只有计算完成的草稿可以发布。"
ARRANGEMENT_NOT_EDITABLE = "只有计算完成的草稿可以调整；已发布的安排请重新发起统筹安排。"
SECTION_NOT_IN_RUN = "该教学班不在本次统筹安排的范围内。"
SECTION_FULL = "{section}已满，不能再安排。"
NOT_ELIGIBLE_GRADE = "{course}不面向{grade}。"
NOT_ELIGIBLE_DAYS = "{section}的上课时间不在该生的参加日内。"
ALREADY_IN_COURSE = "该生已安排在{course}。"
TOO_MANY_COURSES = "该生已安排{k}门课程，达到每人最多课程数。"
SLOT_CLASH = "与该生已安排的{course}上课时间冲突。"
NOT_A_PREFERENCE = "{course}不在该生的志愿中。如确需安排，请勾选“确认安排非志愿课程”后再提交。"
SAME_SECTION = "该生已在这个教学班。"
SWAP_SAME = "请选择不同教学班的两名学生。"
PLACEMENT_GONE = "该安排已不存在，可能已被他人调整，请刷新页面。"
STUDENT_NOT_IN_RUN = "该生不在本次统筹安排中。"
REMOVED_REASON = "经课后服务办公室调整，暂未安排特色课程"
FILL_ONLY_PUBLISHED = "只有已发布的统筹安排可以递补空余名额。"
HOMEROOM_MODE_OVERLAP = "该时段与已设置的按班级开展时段（{period}）重叠。"
HOMEROOM_MODE_BACKWARDS = "开始日期不能晚于结束日期。"
HOMEROOM_MODE_OUTSIDE_TERM = "按班级开展的时段须在本学期的起止日期之内。"
BASE_REQUIRED = "请选择要在其基础上安排的版本。"
BASE_NOT_PUBLISHED = "只安排新增学生须基于已发布的版本。"
BASE_NOT_COMPUTED = "所选版本尚未计算完成，不能在其基础上安排。"
PIN_UNKNOWN_STUDENT = "“另外保持不变的学生”第{line}行：找不到学籍号为“{value}”的学生。"
NOT_ATTENDING_DAY = "上课日（{days}）不在该生的参加日内"
NO_FREE_SEAT = "已满"
HOMEWORK_NO_PERIOD = "本学期未设置作业辅导节次，无法配备教师"
HOMEWORK_NO_TUTOR = "没有可用的辅导教师"


class ArrangementError(DomainError):
    """A rule of the arrangement (统筹安排) was broken."""

    message = "统筹安排操作失败。"


class InvalidArrangementTransition(ArrangementError, InvalidTransition):
    """A run's status may not move that way (see ``arrangement.transitions``)."""


class NotEligible(ArrangementError):
    """The student cannot take that seat: grade, days, or a course they already hold."""


class NeedsConfirmation(ArrangementError):
    """The seat is allowed, but only with the coordinator's explicit confirmation."""


class SectionFull(ArrangementError):
    """No seat left in the section."""


class HomeroomModeInvalid(ArrangementError):
    """A homeroom-mode range that is backwards, outside the term or overlapping another."""
