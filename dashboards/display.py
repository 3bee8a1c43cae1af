"""How the dashboards read to people: the plan's moves and badge tones."""

from __future__ import annotations

from .models import SchoolPlan

PLAN_MOVE_LABELS = {
    "submit": "报送教育局",
    "approve": "批准",
    "return": "退回修改",
}
PLAN_TONE = {SchoolPlan.Status.DRAFT: "secondary", SchoolPlan.Status.SUBMITTED: "warning",
             SchoolPlan.Status.APPROVED: "success", SchoolPlan.Status.RETURNED: "danger"}
