"""How the data requests read to people: the moves' names and badge tones."""

from __future__ import annotations

from .models import DataRequest

REQUEST_MOVE_LABELS = {
    "carry_out": "办理完成",
    "refuse": "不予办理",
    "withdraw": "撤回申请",
}
REQUEST_TONE = {
    DataRequest.Status.PENDING: "warning",
    DataRequest.Status.DONE: "success",
    DataRequest.Status.REFUSED: "danger",
    DataRequest.Status.WITHDRAWN: "secondary",
}
