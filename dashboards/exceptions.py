"""Domain errors of the dashboards' school plans; messages are constants tests import."""

from afterschool import workflow
from afterschool.exceptions import DomainError


class PlanError(DomainError):
    message = "操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PlanTransitionRefused(workflow.InvalidTransition, PlanError):
    message = "不能执行此操作。"


PLAN_NOT_ALLOWED = "只有本校的课后服务办公室或校长可以填写和报送方案。"
PLAN_TERM_OTHER_SCHOOL = "所选学期不属于本校。"
PLAN_NOT_EDITABLE = "方案当前状态为“{status}”，不能修改；被退回后才能修改再报送。"
PLAN_SUMMARY_TOO_LONG = "方案说明最多 3000 个字，现在有 {length} 个，请删减。"
PLAN_STALE = "这份方案刚刚已有变化（当前状态：{status}），请刷新页面后再操作。"
PLAN_NO_DISTRICT = "本校没有填写所属教育局，无法报送；请联系系统管理员补充学校信息。"
PLAN_NOT_IN_DISTRICT = "这份方案不属于您所在教育局管辖的学校。"
