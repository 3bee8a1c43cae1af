"""A school plan's life, declared once (:mod:`afterschool.workflow`)::

    draft ──报送教育局（办公室、校长）──▶ submitted ──批准（教育局）──▶ approved
                                          │  ▲
                        退回修改（教育局，须写意见）│  └──再次报送（办公室、校长）
                                          ▼  │
                                        returned

("开学初，学校将课后服务相关方案交送教育局审批"). Labels are in ``dashboards/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import Move, StateMachine

from .display import PLAN_MOVE_LABELS
from .exceptions import PlanTransitionRefused
from .models import SchoolPlan, SchoolPlanChange

P = SchoolPlan.Status
SCHOOL = (Role.COORDINATOR, Role.PRINCIPAL)
BUREAU = (Role.DISTRICT_OFFICER,)

PLAN_TRANSITIONS: dict[tuple[str, str], Move] = {
    (P.DRAFT, P.SUBMITTED): Move("submit", SCHOOL),
    (P.RETURNED, P.SUBMITTED): Move("submit", SCHOOL),
    (P.SUBMITTED, P.APPROVED): Move("approve", BUREAU),
    (P.SUBMITTED, P.RETURNED): Move("return", BUREAU, needs_comment=True),
}

PLAN_MACHINE = StateMachine(
    status=P, moves=PLAN_TRANSITIONS, history=SchoolPlanChange, subject="plan",
    noun="课后服务方案", labels=PLAN_MOVE_LABELS, error=PlanTransitionRefused)

EDITABLE = frozenset({P.DRAFT, P.RETURNED})
