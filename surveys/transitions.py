"""A survey's life, declared once, in the shape of every state machine of the project
(:mod:`afterschool.workflow`)::

    draft ──发布调查（办公室）──▶ open ──结束调查（办公室；到截止时间由系统）──▶ closed
                                  ▲                                          │
                                  └────────重新开放（办公室，须说明）─────────┘

Questions are edited only in draft: once families answer, the questions stay as they saw
them. Labels are in ``surveys/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import SYSTEM, Move, StateMachine

from .display import SURVEY_MOVE_LABELS
from .exceptions import SurveyTransitionRefused
from .models import Survey, SurveyChange

S = Survey.Status
OFFICE = (Role.COORDINATOR,)

SURVEY_TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.DRAFT, S.OPEN): Move("publish", OFFICE),
    (S.OPEN, S.CLOSED): Move("close", (*OFFICE, SYSTEM), notify=False),
    (S.CLOSED, S.OPEN): Move("reopen", OFFICE, needs_comment=True),
}

SURVEY_MACHINE = StateMachine(
    status=S, moves=SURVEY_TRANSITIONS, history=SurveyChange, subject="survey",
    noun="满意度调查", labels=SURVEY_MOVE_LABELS, error=SurveyTransitionRefused)
