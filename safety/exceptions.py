"""Domain errors of safety; messages are constants so tests import rather than retype them.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool import workflow
from afterschool.exceptions import DomainError


class SafetyError(DomainError):
    """A rule of the duty roster, the patrols or the follow-ups was broken; nothing written."""

    message = "值日与巡查操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------- the roster

OFFICE_ONLY = "只有课后服务办公室可以{what}。"
TERM_OTHER_SCHOOL = "该学期不属于本校。"
ROSTER_NO_DAYS = "{term}从{start}起没有服务日，无需排班。"
ROSTER_FROM_OUTSIDE = "重新排班的起始日期（{day}）须在本学期（{start}至{end}）之内。"
ROSTER_NO_TEACHERS = "没有可以值日的教师（{pool}）。请先在“教职工”中登记，或修改值日设置。"
ROSTER_NO_LEADERS = ("没有可以担任值日领导的人：值日领导由校长和课后服务办公室（领导小组）担任。"
                     "请先授予领导角色，或在值日设置中把每天值日领导人数设为 0。")
ROSTER_SHORTAGE = ("以下日期可以值日的人数不够，未生成值日表：{days}。"
                   "请减少每天的值日人数，或请相关老师核对不能值日的日期。")
ROSTER_SHORTAGE_DAY = "{day}{kind}需 {needed} 人，只有 {available} 人可以"
ROSTER_UNSOLVED = "排班计算未能在时限内得出结果（{detail}），值日表未改动，请稍后重试。"
POLICY_TEACHERS_RANGE = "每天值日教师人数须在 1 到 10 之间，现在是 {value}。"
POLICY_LEADERS_RANGE = "每天值日领导人数须在 0 到 3 之间，现在是 {value}。"

# ---------------------------------------------------------------------------- unavailable days

UNAVAILABLE_OTHER_PERSON = "只能登记自己不能值日的日期；为其他老师登记请由课后服务办公室办理。"
UNAVAILABLE_OUTSIDE_TERM = "{day}不在本学期（{start}至{end}）之内。"
UNAVAILABLE_NOT_SERVICE_DAY = "{day}不是服务日，无需登记。"
UNAVAILABLE_PAST = "{day}已经过去，不能再登记或取消。"
UNAVAILABLE_REASON_TOO_LONG = "原因最多 100 个字，现在有 {length} 个，请删减。"
STAFF_OTHER_SCHOOL = "{name}不是本校教职工。"

# ---------------------------------------------------------------------------- swaps (调班)

SWAP_NO_ROSTER = "本学期还没有值日表，不能调班。"
SWAP_NOT_YOURS = "这不是您的值日，不能用它申请调班。"
SWAP_SELF = "不能与自己调班。"
SWAP_NOT_ON_ROSTER = "{name}在本学期值日表上没有这一天的{kind}值日，不能与其调班。"
SWAP_KIND_DIFFERS = "只能与另一位{kind}调换：{name}{day}是{other}。"
SWAP_PAST = "{day}的值日已经过去或就在今天，不能再调班。"
SWAP_PARTNER_UNAVAILABLE = "{name}登记了{day}不能值日，不能调到这一天。"
SWAP_BUSY = "{name}在{day}已有{kind}值日，调换后会一天两班。"
SWAP_PENDING = "{day}{name}的值日已有一条未办结的调班申请，请先等待办理或撤回。"
SWAP_STALE = "值日表已经变动（{what}），这条调班不能再办理。请刷新后重新申请。"
SWAP_REASON_TOO_LONG = "原因最多 200 个字，现在有 {length} 个，请删减。"
SWAP_ALREADY_MOVED = "这条调班刚刚已被办理，当前状态：{status}。请刷新页面查看。"
SWAP_NOT_ALLOWED = "这条调班当前状态为“{current}”，不能改为“{target}”。"
SWAP_ROLE_NOT_ALLOWED = "您没有权限执行“{label}”。"
SWAP_OUT_OF_SCOPE = "这条调班与您无关，不能执行“{label}”。"
SWAP_COMMENT_REQUIRED = "请填写“{label}”的原因。"


class SwapTransitionRefused(workflow.InvalidTransition, SafetyError):
    message = "不能执行此操作。"


# ---------------------------------------------------------------------------- patrols (巡查)

PATROL_NOT_ON_DUTY = ("今天不是您值日：巡查由当天的值日教师、值日领导和学校领导记录。"
                      "如需代人巡查，请先联系课后服务办公室调班。")
PATROL_LESSON_OTHER_SCHOOL = "课次“{lesson}”不是本校的课次，不能记录巡查。"
PATROL_LESSON_NOT_TODAY = "只能巡查今天的课次：“{lesson}”是{day}的课。"
PATROL_LESSON_CANCELLED = "课次“{lesson}”已取消，不能巡查。"
PATROL_LESSON_NOT_STARTED = "课次“{lesson}”{start}才开始，还不能巡查。"
PATROL_TEACHER_NOT_ON_LESSON = "{name}不是“{lesson}”的辅导教师或代课教师。"
PATROL_PRESENCE_REQUIRED = "请选择辅导教师是否在岗、准时。"
PATROL_BAD_CHOICE = "{field}的值“{value}”无效。"
PATROL_HEAD_COUNT_RANGE = "实到人数须在 0 到 {limit} 之间，现在是 {value}。"
PATROL_NOTES_TOO_LONG = "备注最多 500 个字，现在有 {length} 个，请删减。"
PATROL_NOTES_REQUIRED = "选择“与计划不符（其他）”或“其他问题”时，请在备注中写明看到了什么。"
PATROL_PHOTO_TOO_BIG = "照片“{name}”有 {size}，超过 {limit} 的上限，请重新拍摄或压缩后再传。"
PATROL_PHOTO_NOT_IMAGE = "文件“{name}”不是可以识别的 JPEG、PNG 或 WebP 照片。"
PATROL_PHOTO_TOO_MANY_PIXELS = "照片“{name}”像素过多（{pixels} 万像素），请用手机相机的普通模式重新拍摄。"

# ---------------------------------------------------------------------------- follow-ups (整改)

FOLLOW_UP_DUE_PAST = "整改期限（{due}）不能早于今天（{today}）。"
FOLLOW_UP_DUE_REQUIRED = "请选择整改期限。"
FOLLOW_UP_ASSIGNEE_REQUIRED = "请选择整改负责人。"
FOLLOW_UP_TEXT_TOO_LONG = "最多 500 个字，现在有 {length} 个，请删减。"
FOLLOW_UP_ALREADY_MOVED = "这条整改刚刚已被办理，当前状态：{status}。请刷新页面查看。"
FOLLOW_UP_NOT_ALLOWED = "这条整改当前状态为“{current}”，不能改为“{target}”。"
FOLLOW_UP_ROLE_NOT_ALLOWED = "您没有权限执行“{label}”：整改由课后服务办公室指派和验收关闭。"
FOLLOW_UP_OUT_OF_SCOPE = "这条整改不是指派给您的，不能执行“{label}”。"
FOLLOW_UP_COMMENT_REQUIRED = "请填写“{label}”的说明。"


class FollowUpTransitionRefused(workflow.InvalidTransition, SafetyError):
    message = "不能执行此操作。"
