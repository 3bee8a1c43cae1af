"""Domain errors of the family's rights and retention; messages are constants so tests import
rather than retype them. A message with ``{placeholders}`` is filled in by the raising service."""

from afterschool import workflow
from afterschool.exceptions import DomainError


class PrivacyError(DomainError):
    """A rule of the family's data rights was broken; nothing was written."""

    message = "操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class RequestTransitionRefused(workflow.InvalidTransition, PrivacyError):
    message = "不能执行此操作。"


# The family's side.
NOT_GUARDIAN = "只有家长可以下载本人和孩子的信息、提出更正或删除申请。"
NOT_YOUR_CHILD = "所选学生不是您的孩子。"
TEXT_REQUIRED = "请在“申请内容”中写明需要更正或删除的信息。"
TEXT_TOO_LONG = "“申请内容”最多 {limit} 个字，现在有 {length} 个，请删减。"
DELETION_NEEDS_CHILD = "删除申请请选择要删除哪个孩子的信息。"
ALREADY_PENDING = "{subject}已有一份待处理的{kind}，请等待学校处理或先撤回那份申请。"

# The office's side.
OFFICE_ONLY = "只有课后服务办公室可以办理个人信息申请和修改保存期限。"
REASON_REQUIRED = "请选择或填写不予办理的法定理由。"
OTHER_REASON_NEEDS_TEXT = "选择“其他法定理由”时，请在说明中写明具体理由。"
OUTCOME_REQUIRED = "请填写办理结果（更正了哪些信息）。"
STILL_SERVED = ("{student}本学期仍在参加课后服务（意向书状态：{status}），接送和安全管理还需要这些信息。"
                "请先办理退出课后服务，或选择不予办理并说明理由。")
RETENTION_RANGE = "保存期限须在 {low} 到 {high} 天之间，现在填写的是“{value}”。"
