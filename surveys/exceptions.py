"""Domain errors of the surveys; messages are constants so tests import rather than retype.

A message with ``{placeholders}`` is filled in by the raising service (``.format(...)``).
"""

from afterschool import workflow
from afterschool.exceptions import DomainError


class SurveyError(DomainError):
    """A rule of the satisfaction surveys was broken; nothing was written."""

    message = "操作失败。"

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class SurveyTransitionRefused(workflow.InvalidTransition, SurveyError):
    message = "不能执行此操作。"


# The office's side.
NOT_ALLOWED = "只有课后服务办公室可以编辑和发布满意度调查。"
POLICY_NOT_ALLOWED = "只有课后服务办公室可以修改满意度调查设置。"
TERM_OTHER_SCHOOL = "所选学期不属于本校。"
TITLE_REQUIRED = "请填写调查名称。"
TITLE_TAKEN = "本学期已有名为“{title}”的调查，请换一个名称。"
CLOSES_IN_PAST = "截止时间（{closes_at}）已经过去，请选择以后的时间。"
NOT_DRAFT = "“{title}”已发布，题目不能再修改（已有家长按原题作答）。"
NO_QUESTIONS = "“{title}”还没有题目，不能发布。"
NO_SCALE_QUESTION = "“{title}”至少要有一道满意度（1–5 分）题，才能计算满意率。"
QUESTION_TEXT_REQUIRED = "请填写第 {number} 题的题目。"
QUESTION_NOT_IN_SURVEY = "第 {number} 题不在这份调查中，请刷新页面。"
OPTIONS_BAD = "第 {number} 题：{reason}"
NOBODY_ATTENDED = "{term}还没有学生参加过课后服务（没有出勤记录），发布后没有家长可以作答。"

# The family's side.
NOT_YOUR_CHILD = "{student}不是您的孩子，不能为其填写调查。"
NOT_INVITED = "{student}本学期没有参加过课后服务，不在这次调查的范围内。"
SURVEY_NOT_OPEN = "“{title}”{state}，不能再提交或修改答卷。"
SURVEY_CLOSED_AT = "已于 {closes_at} 截止"
ANSWER_REQUIRED = "请回答第 {number} 题：{text}"
ANSWER_SCALE_BAD = "第 {number} 题的评分“{value}”无效，请选择 1 到 5 分。"
ANSWER_CHOICE_BAD = "第 {number} 题的选项“{value}”不在可选项中，请重新选择。"
ANSWER_TEXT_TOO_LONG = "第 {number} 题最多 500 个字，现在有 {length} 个，请删减。"
ANSWER_UNKNOWN_QUESTION = "题目（编号 {value}）不在这份调查中，请刷新页面后重新填写。"
ANSWER_RACE = "另一位家长刚刚为{student}提交了答卷，请刷新页面，在那份答卷上修改。"
ANSWER_STALE = "这份答卷刚刚被另一位家长修改过，请刷新页面查看最新内容后再修改。"

# Results.
CUT_TOO_SMALL = "该分组的答卷少于 {min} 份，为保护家长匿名，不单独显示。"
CUT_UNKNOWN = "没有这个分组。"
