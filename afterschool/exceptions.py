"""Domain errors of the core; messages are constants so tests import rather than retype them."""


class DomainError(Exception):
    """A rule of the school was broken; the message is shown to the person as it is."""

    message = "操作失败。"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message

    def __str__(self):
        return self.message


class ActivationFailed(DomainError):
    message = "手机号或激活码不正确，请核对《致家长的一封信》上的激活码。"


class AlreadyActivated(DomainError):
    message = "该手机号已激活，请直接登录；忘记密码请联系课后服务办公室。"


class PhoneTaken(DomainError):
    message = "该手机号已被其他账号使用。"


class ActivationLocked(DomainError):
    message = ("激活码输错次数过多，为保护账号安全，请 15 分钟后再试。"
               "如果激活码看不清或已遗失，请联系班主任或课后服务办公室重新发放。")


class CodeExpired(DomainError):
    message = "该激活码已失效（超过有效期或已重新发放），请联系班主任或课后服务办公室重新发放家长信。"


class CodeUsed(DomainError):
    message = "该激活码已经使用过，请直接用手机号和密码登录；忘记密码请联系课后服务办公室。"


class ResetRefused(DomainError):
    message = ("该账号在其他学校或单位另有角色，或职务不低于课后服务办公室，不能由本校重置密码；"
               "请本人修改，或联系系统管理员。")


class ResetOwnPassword(DomainError):
    message = "不能在这里重置自己的密码，请使用“修改密码”。"


class LinkClosed(DomainError):
    message = "该关联已处理或已失效。"


class LinkNeedsCode(DomainError):
    message = "确认孩子的关联需要输入《致家长的一封信》上的激活码。"


class FullPhonesOfficeOnly(DomainError):
    message = "只有课后服务办公室可以导出完整手机号；其他导出中的手机号均为隐去中间四位。"


class ExportReasonRequired(DomainError):
    message = "勾选“含完整手机号”时须填写导出原因（至少 4 个字），例如：逐一电话通知家长停课。"


class OffboardingRefused(DomainError):
    message = "无法办理。"


OFFBOARD_SELF = "不能停用自己的账号或移除自己的角色，请由本校另一位课后服务办公室人员办理。"
OFFBOARD_ROLE_NOT_HELD = "{name}在本校没有“{role}”这个角色，无需移除。"
OFFBOARD_ROLE_NOT_REMOVABLE = ("“{role}”不能在这里移除：校长由系统管理员调整；辅导教师、校外教师"
                               "随“停用”一起取消。")
OFFBOARD_ALREADY_INACTIVE = "{name}已停用。"
