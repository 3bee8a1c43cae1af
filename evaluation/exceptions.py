"""Domain errors of evaluation; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool import workflow
from afterschool.exceptions import DomainError


class EvaluationError(DomainError):
    """A rule of workload, assessment or the 公示 was broken; nothing was written."""

    message = "操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class StatementTransitionRefused(workflow.InvalidTransition, EvaluationError):
    message = "不能执行此操作。"


class AssessmentTransitionRefused(workflow.InvalidTransition, EvaluationError):
    message = "不能执行此操作。"


# Months.
MONTH_BAD = "月份“{value}”无效，请写成 YYYY-MM，例如 2024-11。"
MONTH_FUTURE = "{month}还没有结束，不能生成月报。"
MONTH_NOT_STARTED = "{month}还没有开始，没有可公示的记录。"

# Settings.
POLICY_NOT_ALLOWED = "只有课后服务办公室可以修改课时与补助标准。"
SCHEME_NOT_ALLOWED = "只有课后服务办公室或校长可以修改考核评价办法。"
SCHEME_NO_WEIGHT = "考核评价办法至少要有一项权重大于 0。"
SCHEME_THRESHOLDS = "表彰线（{commend}）须高于通报线（{follow_up}）。"

# Statements (课时补助月报).
STATEMENT_NOT_YOURS = "这不是您的月报。"
STATEMENT_ISSUE_NOT_ALLOWED = "只有课后服务办公室可以生成课时补助月报。"
STATEMENT_STALE = "这份月报刚刚已有变化（当前状态：{status}），请刷新页面后再操作。"
STATEMENT_NOT_OPEN = "这份月报当前状态为“{status}”，不能再提出异议。"
LINE_NOT_IN_STATEMENT = "这一项不在这份月报中，请刷新页面。"
LINE_ALREADY_DISPUTED = "{date} {title} 已提出过异议（{state}），无需重复提交。"
DISPUTE_REASON_REQUIRED = "请写明异议的原因，例如“当天我请假，由李老师代课”。"
DISPUTE_REASON_TOO_LONG = "异议原因最多 200 个字，现在有 {length} 个，请删减。"
CLAIM_DATE_REQUIRED = "补报须填写日期。"
CLAIM_DATE_OUTSIDE = "补报的日期（{date}）不在{month}之内。"
RESOLVE_NOT_ALLOWED = "只有课后服务办公室可以处理异议。"
RESOLVE_NOT_OPEN = "这条异议已处理（{state}），请刷新页面。"
RESOLVE_NOTE_REQUIRED = "请填写处理意见：采纳时说明更正依据，不采纳时说明原因。"
RESOLVE_WEIGHT_REQUIRED = "采纳异议须填写更正后的课时（0 到 10 之间）。"
RESOLVE_WEIGHT_BAD = "更正后的课时“{value}”无效，请填写 0 到 10 之间的数，最多两位小数。"

# Assessment (考核).
ASSESSMENT_NOT_ALLOWED = "只有课后服务办公室或校长可以发起考核。"
ASSESSMENT_CONFIRMED = "{label}考核已由校长确认，如需重新计算，请先“重新评议”。"
ASSESSMENT_LIST_UNKNOWN = "名单中的教师（编号 {staff}）不在本次考核中，请刷新页面。"
ASSESSMENT_STALE = "这次考核刚刚已有变化，请刷新页面后再确认。"
ASSESSMENT_TERM_REQUIRED = "请选择学期。"

# The 公示 (Publication).
PUBLICATION_NOT_ALLOWED = "只有课后服务办公室可以生成月度公示。"
PUBLICATION_SCHOOL_UNKNOWN = "没有代码为“{code}”的学校。"
PUBLICATION_BUILD_FAILED = "生成失败：{reason}"
