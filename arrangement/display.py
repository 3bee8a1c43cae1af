"""How the arrangement reads to people: the names of a run's moves (for messages and history)."""

# The moves of ``transitions.TRANSITIONS`` by name.
MOVE_LABELS = {
    "publish": "发布",
    "supersede": "由新版本替代",
    "fail": "计算失败",
}
