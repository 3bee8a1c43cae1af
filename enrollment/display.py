"""How an application reads to people: its state in one plain sentence, badges, the names
and button styles of the review moves, the roles in its history."""

from __future__ import annotations

from afterschool.formatting import date_text, short_moment_text
from afterschool.models import Role
from afterschool.workflow import SYSTEM, SYSTEM_LABEL

from .models import Application

Status = Application.Status


def status_sentence(application: Application | None) -> str:
    """E.g. "等待班主任审核，已提交于9月1日 20:15"."""
    if application is None:
        return "尚未填写"
    a = application
    declined = a.participates is False
    comment = f"：{a.decision_comment}" if a.decision_comment else ""
    if a.status == Status.DRAFT:
        return f"草稿，尚未提交（最后保存于{short_moment_text(a.updated_at)}）"
    if a.status == Status.SUBMITTED:
        what = "已提交“不参加”" if declined else "已提交"
        return f"等待班主任审核，{what}于{short_moment_text(a.submitted_at)}"
    if a.status == Status.RETURNED:
        return f"老师退回修改{comment}。请修改后重新提交"
    if a.status == Status.CLASS_APPROVED:
        return f"班主任已审核通过，等待学校复核（{short_moment_text(a.status_changed_at)}）"
    if a.status == Status.CLASS_REJECTED:
        return f"班主任审核未通过{comment}"
    if a.status == Status.SCHOOL_APPROVED:
        if declined:
            return f"学校已确认您选择不参加课后服务（{short_moment_text(a.status_changed_at)}）"
        return f"学校已复核通过，等待统筹安排（{short_moment_text(a.status_changed_at)}）"
    if a.status == Status.SCHOOL_REJECTED:
        return f"学校复核未通过{comment}"
    if a.status == Status.PLACED:
        # Placed in the service; whether a club was assigned is the arrangement's to say.
        return "统筹安排已发布，请在“课表”中查看孩子的课程、时间和安排说明"
    if a.status == Status.WITHDRAWN:
        reason = f"。原因：{a.withdraw_reason}" if a.withdraw_reason else ""
        return f"已退出课后服务，自{date_text(a.withdrawn_on)}起生效{reason}"
    return a.get_status_display()


STATUS_TONE = {
    Status.DRAFT: "secondary", Status.SUBMITTED: "info", Status.RETURNED: "warning",
    Status.CLASS_APPROVED: "primary", Status.CLASS_REJECTED: "danger",
    Status.SCHOOL_APPROVED: "success", Status.SCHOOL_REJECTED: "danger",
    Status.PLACED: "success", Status.WITHDRAWN: "dark",
}

# Badges in lists: a few characters each, so a row still fits a phone.
STATUS_SHORT = {
    Status.DRAFT: "草稿", Status.SUBMITTED: "待班主任审核", Status.RETURNED: "退回修改",
    Status.CLASS_APPROVED: "待学校复核", Status.CLASS_REJECTED: "班级未通过",
    Status.SCHOOL_APPROVED: "学校已通过", Status.SCHOOL_REJECTED: "学校未通过", Status.PLACED: "安排已发布",
    Status.WITHDRAWN: "已退出",
}

# The moves of ``transitions.TRANSITIONS`` by name: what their buttons and messages say.
MOVE_LABELS = {
    "submit": "提交",
    "resubmit": "重新提交",
    "class_approve": "班级审核通过",
    "class_return": "退回修改",
    "class_reject": "班级审核不通过",
    "school_approve": "学校复核通过",
    "school_reject": "学校复核不通过",
    "school_return": "退回家长修改",
    "recheck": "退回班主任重审",
    "place": "统筹安排",
    "withdraw": "退出课后服务",
    "rejoin": "重新参加课后服务",
}

# Bootstrap button styles of the reviewers' decisions.
MOVE_STYLES = {
    "class_approve": "success",
    "class_return": "outline-warning",
    "class_reject": "outline-danger",
    "school_approve": "success",
    "school_reject": "outline-danger",
    "school_return": "outline-warning",
    "recheck": "outline-secondary",
    "withdraw": "outline-danger",
}

# Who acted, in the history: a role, or the system.
ROLE_LABELS = {**{r.value: r.label for r in Role}, SYSTEM: SYSTEM_LABEL}


def acted_by(transition) -> str:
    """Who made a move, as the history says it: "刘静（班主任）", "系统", or just "家长" when
    the person has no account any more (or a family answered on paper and the school typed it)."""
    role = ROLE_LABELS.get(transition.actor_role, transition.actor_role or "")
    if transition.actor_role == SYSTEM or (transition.actor_id is None and not role):
        return SYSTEM_LABEL
    if transition.actor_id is None:
        return role
    name = transition.actor.name
    return f"{name}（{role}）" if role and name else name or role


def move_label(move) -> str:
    return MOVE_LABELS.get(move.name, move.name)


def move_style(move) -> str:
    return MOVE_STYLES.get(move.name, "primary")
