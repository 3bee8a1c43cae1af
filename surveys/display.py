"""How surveys read to people: the moves' names, badge tones, the 1–5 scale's words."""

from __future__ import annotations

from .models import Survey

SURVEY_MOVE_LABELS = {
    "publish": "发布调查",
    "close": "结束调查",
    "reopen": "重新开放",
}
SURVEY_TONE = {Survey.Status.DRAFT: "secondary", Survey.Status.OPEN: "success",
               Survey.Status.CLOSED: "dark"}

SCALE_LABELS = {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}

# The cuts of the results: URL value → label.
CUTS = {"grade": "年级", "homeroom": "班级", "course": "课程", "tutor": "辅导教师"}


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def rate_chart(questions) -> dict:
    """A horizontal bar chart of each scale question's satisfaction rate (Chart.js config)."""
    return {
        "type": "bar",
        "data": {
            "labels": [f"第{q.position}题 {q.question.get_topic_display()}" for q in questions],
            "datasets": [{"label": "满意率（%）", "data": [q.rate for q in questions],
                          "backgroundColor": "#0a58ca"}],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}},
                    "scales": {"x": {"min": 0, "max": 100}}},
    }
