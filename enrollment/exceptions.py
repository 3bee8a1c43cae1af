"""Domain errors of enrollment; messages are constants so tests import rather than retype them.

Messages with ``{placeholders}`` are formatted by the service that raises them; tests compare
against the formatted constant (``WINDOW_NOT_OPEN.format(...)``) or check the fixed part.
"""

from afterschool import workflow
from afterschool.exceptions import DomainError

# The application window (意向书填报时间).
WINDOW_NOT_SET = "本学期尚未设置意向书填报时间，请等待学校通知。"
WINDOW_NOT_OPEN = "意向书填报时间为 {opens} 至 {closes}，现在尚未开放，请到时再填写。"
WINDOW_CLOSED = "意向书填报时间为 {opens} 至 {closes}，现已截止。如需变更请联系班主任。"

# The workflow.
TRANSITION_NOT_ALLOWED = "意向书当前状态为“{current}”，不能改为“{target}”。"
ROLE_NOT_ALLOWED = "您没有权限执行“{label}”。"
OUT_OF_SCOPE = "这份意向书不属于您负责的学生，不能执行“{label}”。"
COMMENT_REQUIRED = "请填写“{label}”的原因。"
STALE_FOR_REVIEWER = "该意向书已被其他老师处理，当前状态：{status}。"
STALE_FOR_GUARDIAN = "意向书已被更新（当前状态：{status}），您的操作未保存。请刷新页面查看最新情况。"
NOT_EDITABLE = "意向书当前状态为“{status}”，不能修改。只有草稿或被退回修改的意向书可以修改。"
WITHDRAW_DATE_REQUIRED = "请选择退出生效日期。"
WITHDRAW_DATE_IN_PAST = "退出生效日期不能早于今天（{today}）。"
PLACE_NOT_PARTICIPATING = "{student}的意向书选择了不参加课后服务，不能统筹安排。"
PLACE_WRONG_STATUS = "以下意向书不是“学校已复核，等待统筹安排”状态，未做任何安排：{students}。"
PLACE_OTHER_SCHOOL = "有意向书不属于本校，未做任何安排。"

# Filling in and signing.
NOT_A_GUARDIAN = "您不是该学生的监护人，不能填写或签署这份意向书。"
STUDENT_NOT_IN_TERM_SCHOOL = "学生与学期不属于同一所学校。"
ANSWER_REQUIRED = "请选择是否参加课后服务。"
WEEKDAYS_REQUIRED = "请选择需要参加课后服务的日子。"
WEEKDAYS_NOT_SERVICE_DAYS = "所选日期不是本学期的服务日（服务日：{days}）。"
DISMISSAL_REQUIRED = "请选择放学后孩子的离校方式。"
ALONE_NEEDS_CONSENT = "选择“自行回家”须勾选同意孩子自行回家。"
BUS_NEEDS_ROUTE = "选择“乘坐校车”须填写校车线路。"
PICKUP_PERSON_REQUIRED = "选择“家长接送”须至少填写一位授权接送人。"
PICKUP_PERSON_INCOMPLETE = "授权接送人须填写姓名、与学生关系和 11 位手机号码。"
CONTACT_PHONE_REQUIRED = "请填写紧急联系电话。"
PHONE_INVALID = "请填写正确的 11 位手机号码，例如 138 0013 8000。"
TOO_MANY_PREFERENCES = "最多可填报 {limit} 个志愿。"
DUPLICATE_PREFERENCE = "同一门课程不能重复填报志愿。"
COURSE_NOT_OPEN = "“{course}”不是面向该年级开放的课程，请重新选择。"
AGREEMENT_MISSING = "本学期的服务协议尚未发布，暂不能提交。请联系学校课后服务办公室。"
AGREEMENT_UNSIGNED = "请先阅读并签署《课后服务协议》和《安全责任书》后再提交。"
AGREEMENT_RESIGN = "协议已更新，请重新签署后再提交。"
SIGNATURE_NAME_REQUIRED = "请输入您的姓名作为签名。"
SIGNATURE_NAME_MISMATCH = "签名须与您在学校登记的姓名“{name}”一致。"
SIGNATURE_CLOSED = "意向书当前状态为“{status}”，无需再签署协议。"
WINDOW_ORDER = "意向书截止时间须晚于开放时间。"
COORDINATOR_ONLY = "只有课后服务办公室可以执行此操作。"
REMIND_WINDOW_CLOSED = "意向书填报时间未开放或已截止，现在不能提醒家长填写。"

# Children's personal information (个人信息保护告知书 and the guardian's consent).
NOTICE_MISSING = "学校尚未发布《个人信息保护告知书》，暂不能提交。请联系学校课后服务办公室。"
CONSENT_REQUIRED = ("请先阅读《个人信息保护告知书》，并勾选同意学校为课后服务处理孩子的个人信息，"
                    "否则不能提交意向书。")
CONSENT_RENEW = ("学校更新了《个人信息保护告知书》（第{version}版），请阅读后重新勾选同意，"
                 "否则不能提交意向书。")
SENSITIVE_CONSENT_REQUIRED = ("健康情况和过敏史属于敏感个人信息，须单独勾选同意学校处理后才能填写；"
                              "不同意请清空这两项。")
SENSITIVE_NEEDS_PERSONAL = "同意处理敏感个人信息之前，须先同意学校处理孩子的个人信息。"
CONSENT_NOT_STANDING = "该项同意已撤回或不存在，无需再撤回。"
CONSENT_WITHDRAW_REASON_REQUIRED = "请填写撤回同意的原因。"
NOTICE_TEXT_REQUIRED = "请填写告知书正文和敏感个人信息部分。"


class EnrollmentError(DomainError):
    message = "意向书操作失败。"


class WindowClosed(EnrollmentError):
    message = WINDOW_NOT_SET


class InvalidTransition(EnrollmentError, workflow.InvalidTransition):
    message = "不能执行此操作。"


class StaleApplication(InvalidTransition):
    """Someone else changed the application since this person loaded it."""

    message = STALE_FOR_REVIEWER


class NotEditable(EnrollmentError):
    message = NOT_EDITABLE


class ApplicationInvalid(EnrollmentError):
    """What the guardian entered breaks a rule; ``field`` names the form field, if one."""

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message)
        self.field = field


class AgreementNotSigned(EnrollmentError):
    message = AGREEMENT_UNSIGNED


class SignatureRefused(EnrollmentError):
    """The signature is refused; forms show why under the typed name."""

    message = SIGNATURE_NAME_REQUIRED
    field = "signed_name"


class ConsentMissing(ApplicationInvalid):
    """The guardian has not consented (on the current notice) to what the form needs."""

    message = CONSENT_REQUIRED

    def __init__(self, message: str | None = None, field: str | None = "consent_personal"):
        super().__init__(message, field=field)


class NotAGuardian(EnrollmentError):
    message = NOT_A_GUARDIAN
