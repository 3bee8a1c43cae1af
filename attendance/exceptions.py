"""Domain errors of attendance; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool import workflow
from afterschool.exceptions import DomainError


class AttendanceError(DomainError):
    """A rule of attendance (课次、点名、校历) was broken."""

    message = "考勤操作失败。"


# ---------------------------------------------------------------------------- leave (请假)

LEAVE_NOT_ALLOWED = "这条请假当前状态为“{current}”，不能改为“{target}”。"
LEAVE_ROLE_NOT_ALLOWED = "您没有权限执行“{label}”。"
LEAVE_OUT_OF_SCOPE = "这条请假不是您班级或您孩子的，不能执行“{label}”。"
LEAVE_COMMENT_REQUIRED = "请填写“{label}”的原因。"
LEAVE_STALE = "这条请假已被处理，当前状态：{status}。请刷新页面查看。"
LEAVE_NOT_YOUR_CHILD = "{student}不是您的孩子，不能为其请假。"
LEAVE_NOT_YOUR_STUDENT = "{student}不是您班级的学生，不能代为登记请假。"
LEAVE_RECORD_ROLE = "只有班主任或课后服务办公室可以代家长登记请假。"
LEAVE_STUDENT_INACTIVE = "{student}已不在读，不能请假。"
LEAVE_DATES_REQUIRED = "请选择请假的开始日期和结束日期。"
LEAVE_END_BEFORE_START = "结束日期（{end}）不能早于开始日期（{start}）。"
LEAVE_PAST_DAY = "不能为已经过去的日期请假：{day}已过去，请从今天（{today}）或以后开始。"
LEAVE_OUTSIDE_TERM = "请假日期须在本学期（{term}：{start}至{end}）之内，{day}不在其中。"
LEAVE_TERM_OTHER_SCHOOL = "学生与学期不属于同一所学校。"
LEAVE_REASON_REQUIRED = "请填写请假原因。"
LEAVE_REASON_TOO_LONG = "请假原因最多 200 个字，现在有 {length} 个，请删减。"
LEAVE_LESSON_NOT_THEIRS = "所选课次“{lesson}”不是{student}要上的课，请重新选择。"
LEAVE_LESSON_STARTED = "所选课次“{lesson}”已经开始，不能再请假。"
LEAVE_LESSON_CANCELLED = "所选课次“{lesson}”已取消，无需请假。"
LEAVE_OVERLAPS = "{student}在{span}已有一条{status}的请假，与这次请假的时间重叠。请先撤销那一条，或修改日期。"
LEAVE_CANCEL_STARTED = "请假已经开始（{lesson}已于{start}开始），不能撤销。如孩子已返校，请联系班主任。"


class LeaveError(AttendanceError):
    """A leave request that cannot be made or changed as asked; nothing was written."""

    message = "请假操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class LeaveTransitionRefused(workflow.InvalidTransition, AttendanceError):
    """A move of a leave that the table does not have, not for this person, or without its
    reason."""

    message = "不能执行此操作。"


# ---------------------------------------------------------------------------- absence alerts

ALERT_OUTCOME_REQUIRED = "请填写处理结果，例如“家长已接回”或“已联系，在家”。"
ALERT_OUTCOME_TOO_LONG = "处理结果最多 200 个字，现在有 {length} 个，请删减。"
ALERT_ALREADY_HANDLED = "这条缺勤提醒已由{who}于{when}处理：{outcome}。"
ALERT_NOT_YOURS = "您没有权限处理这条缺勤提醒。"


class AlertError(AttendanceError):
    message = "缺勤提醒操作失败。"


# The calendar (校历).
CALENDAR_OUTSIDE_TERM = "{date}不在本学期（{start}至{end}）之内，不能设置。"
CALENDAR_MAKEUP_NEEDS_WEEKDAY = "调休上课须选择“按星期几上课”。"
CALENDAR_WEEKDAY_ONLY_FOR_MAKEUP = "只有调休上课需要选择“按星期几上课”。"
CALENDAR_GRADE_ONLY_FOR_SUSPENSION = "只有暂停服务可以只针对一个年级。"
CALENDAR_GRADE_OTHER_SCHOOL = "该年级不属于本校。"
CALENDAR_DUPLICATE = "{date}已有校历调整（{existing}），请先删除后再设置。"
CALENDAR_OTHER_SCHOOL = "该学期不属于本校。"

# Roll call (点名).
ROLL_CALL_NOT_YOURS = "您不是这节课的辅导教师或代课教师，不能点名。"
ROLL_CALL_LOCKED = "这节课的点名已于{locked_at}锁定；如需修改，请联系课后服务办公室更正。"
ROLL_CALL_CANCELLED = "这节课已取消，不能点名。"
ROLL_CALL_NOT_STARTED = "这节课{date}才上，还不能点名。"
ROLL_CALL_STUDENT_NOT_ON_LESSON = "学生（编号 {student}）不在这节课的名单上，请刷新页面后重新点名。"
ROLL_CALL_BAD_STATUS = "{student}的点名状态“{value}”无效。"
ROLL_CALL_STALE = "这节课的点名刚刚已由{by}提交（{at}），请刷新页面查看后再修改。"

# Corrections (更正).
CORRECTION_NOT_LOCKED = "这节课尚未锁定，请由辅导教师直接修改点名。"
CORRECTION_NEEDS_REASON = "更正点名须填写原因。"
CORRECTION_SAME = "新状态与原状态相同，无需更正。"
CORRECTION_NOT_ALLOWED = "只有课后服务办公室可以更正已锁定的点名。"

# Substitutes (代课).
SUBSTITUTE_SELF = "代课教师不能是原辅导教师本人。"
SUBSTITUTE_OTHER_SCHOOL = "该教师不属于本校。"
SUBSTITUTE_OUTSIDE_TERM = "代课日期须在本学期（{start}至{end}）之内。"
SUBSTITUTE_BACKWARDS = "开始日期不能晚于结束日期。"
SUBSTITUTE_NO_LESSONS = "{tutor}在{start}至{end}没有尚未点名的课次。"
SUBSTITUTE_LESSON_TAKEN = "这节课已点名，不能再安排代课。"

# Regeneration.
REGENERATE_NO_ARRANGEMENT = "本学期的统筹安排尚未发布，无法生成课次。"


# ---------------------------------------------------------------------------- dismissal (放学交接)


class DismissalError(AttendanceError):
    """A release, handover or pickup change that cannot be made as asked; nothing was written."""

    message = "放学交接失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


DISMISSAL_NOT_YOURS = ("您不是“{lesson}”的辅导教师、代课教师，也不是今天的值日教师，"
                       "不能为这节课的学生放学交接。")
DISMISSAL_NOT_DUTY = "您不是{day}的值日教师，不能在全校放学页面交接学生。"
DISMISSAL_OTHER_DAY = "“{lesson}”是{day}的课，只能在当天放学交接。"
DISMISSAL_CANCELLED = "“{lesson}”已取消，没有学生需要放学交接。"
DISMISSAL_NOT_ON_LESSON = "学生（编号 {student}）不在“{lesson}”的名单上，请刷新页面。"
DISMISSAL_NOT_PRESENT = "{student}今天“{lesson}”点名为{status}，不在放学名单上，不能放学交接。"
DISMISSAL_LATER_LESSON = "{student}今天还有“{later}”（{start}开始），由那节课的老师放学交接。"
DISMISSAL_ALREADY = "{student}已放学：{what}（{by}交接），不能重复放学交接。"
DISMISSAL_NOTHING = "请选择要放学的学生。"
DISMISSAL_WRONG_GROUP = "{student}的离校方式是“{way}”，不在“{group}”这一组，请刷新页面。"
DISMISSAL_NOT_EXPECTED = "{student}今天不在放学名单上（没有课，或已缺勤、请假）。"
DISMISSAL_PERSON_UNKNOWN = "所选接送人不在{student}的授权名单上，请重新选择；名单外的人须值日教师确认。"
DISMISSAL_NO_DUTY = "今天没有值日教师，请联系课后服务办公室。"
DISMISSAL_UNLISTED_NEEDS = "请填写来接人的姓名、与学生关系和 11 位手机号，交值日教师核实。"
DISMISSAL_CONFIRM_NOTE = "请填写核实情况，例如“已电话联系母亲王丽确认”。"
DISMISSAL_NOTE_TOO_LONG = "说明最多 200 个字，现在有 {length} 个，请删减。"
DISMISSAL_NOT_UNLISTED = "{student}没有待确认的名单外接送人。"

PICKUP_CODE_REQUIRED = "请输入 6 位接送码。"
PICKUP_CODE_WRONG = "接送码“{code}”不正确，请核对家长手机上的接送码（还可再试 {left} 次）。"
PICKUP_CODE_EXPIRED = "接送码“{code}”是{day}的，已过期；请家长在手机上重新生成今天的接送码。"
PICKUP_CODE_USED = "接送码“{code}”已于{at}使用过，不能再次使用。"
PICKUP_CODE_OTHER_CHILD = "接送码“{code}”是{other}的，不是{student}的，请核对。"
PICKUP_CODE_LOCKED = ("这节课接送码输错次数过多（{minutes} 分钟内 {limit} 次），请 {minutes} 分钟后再试，"
                      "或从授权名单中选择接送人。")
PICKUP_CODE_LOCKED_USER = "您输错接送码次数过多（{minutes} 分钟内 {limit} 次），请 {minutes} 分钟后再试。"
PICKUP_CODE_NOT_FOUND_TODAY = "接送码“{code}”不是本校今天有效的接送码。"

PICKUP_NOT_YOUR_CHILD = "{student}不是您的孩子，不能更改接送。"
PICKUP_PERSON_FIELDS = "请填写接送人的姓名、与学生关系和 11 位手机号。"
PICKUP_PHONE_INVALID = "手机号“{phone}”不正确，请输入 11 位手机号。"
PICKUP_PAST_DAY = "只能更改今天或以后的接送人，{day}已过去。"
PICKUP_ALREADY_RELEASED = "{student}今天已放学（{what}），不能再更改接送。"
PICKUP_DUPLICATE = "{name}（{phone}）已是{student}{day}的接送人。"
PICKUP_TOO_MANY = "{student}{day}最多登记 3 位当日接送人。"
PICKUP_CODE_PERSON_UNKNOWN = "请从{student}的授权接送人中选择来接的人。"
PICKUP_NO_SERVICE = "{student}{day}没有课后服务，不需要接送码。"
