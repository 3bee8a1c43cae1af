"""A run's life, declared once, in the same shape as an application's (``afterschool.workflow``).

::

    draft ──发布──▶ published ──由新版本替代（系统）──▶ superseded
      └──计算失败（系统）──▶ failed

Only :func:`arrangement.services.runs` moves a run's status, along this table, through
:data:`MACHINE`, which writes the ``ArrangementChange`` of kind "status" with the codes.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import SYSTEM, Move, StateMachine

from .display import MOVE_LABELS
from .exceptions import ARRANGEMENT_TRANSITION_NOT_ALLOWED, InvalidArrangementTransition
from .models import Arrangement, ArrangementChange

Status = Arrangement.Status

TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.DRAFT, Status.PUBLISHED): Move("publish", (Role.COORDINATOR,)),
    (Status.PUBLISHED, Status.SUPERSEDED): Move("supersede", (SYSTEM,)),
    (Status.DRAFT, Status.FAILED): Move("fail", (SYSTEM,)),
}

MACHINE = StateMachine(
    status=Status, moves=TRANSITIONS, history=ArrangementChange, subject="arrangement",
    noun="统筹安排", labels=MOVE_LABELS, error=InvalidArrangementTransition,
    history_values={"kind": ArrangementChange.Kind.STATUS},
    not_allowed=ARRANGEMENT_TRANSITION_NOT_ALLOWED)
