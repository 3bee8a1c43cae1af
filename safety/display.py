"""How safety reads to people: labels and badge tones, the names of the moves, dates."""

from __future__ import annotations

from .models import DutySwap, FollowUp, PatrolReport

S = DutySwap.Status
F = FollowUp.Status
P = PatrolReport.Presence
A = PatrolReport.Activity

SWAP_TONE = {S.REQUESTED: "warning", S.ACCEPTED: "info", S.APPROVED: "success",
             S.DECLINED: "secondary", S.REJECTED: "danger", S.CANCELLED: "secondary"}
FOLLOW_UP_TONE = {F.OPEN: "danger", F.ASSIGNED: "warning", F.RECTIFIED: "info",
                  F.CLOSED: "success"}
PRESENCE_TONE = {P.PRESENT: "success", P.LATE: "warning", P.ABSENT: "danger"}

# The moves of ``safety.transitions`` by name.
SWAP_MOVE_LABELS = {
    "accept": "同意调换",
    "decline": "不同意",
    "cancel": "撤回申请",
    "approve": "批准调班",
    "reject": "不批准",
}
SWAP_MOVE_STYLES = {
    "accept": "success",
    "decline": "outline-danger",
    "cancel": "outline-secondary",
    "approve": "success",
    "reject": "outline-danger",
}
FOLLOW_UP_MOVE_LABELS = {
    "assign": "指派整改",
    "reassign": "改派",
    "report": "提交整改情况",
    "return": "退回重新整改",
    "close": "验收关闭",
}
FOLLOW_UP_MOVE_STYLES = {
    "assign": "primary",
    "reassign": "outline-primary",
    "report": "primary",
    "return": "outline-danger",
    "close": "success",
}

# The comment a swap gets when a regeneration of the roster replaced its duties.
SWAP_REGENERATED = "值日表已重新生成，原值日安排已变更"


def summary_text(summary: dict, *, day_word: str = "今日") -> str:
    """E.g. "今日巡查 12 次，发现问题 1 个"."""
    return f"{day_word}巡查 {summary['patrols']} 次，发现问题 {summary['findings']} 个"
