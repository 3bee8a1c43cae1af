"""A data request's life, in the shape of every state machine of the project
(:mod:`afterschool.workflow`)::

    pending ──办理完成（办公室，须说明）──▶ done
       │ ├────不予办理（办公室，须说明法定理由）──▶ refused
       │ └────撤回申请（家长）──▶ withdrawn

The request row itself records who asked, when and what; the history holds the moves. Labels
are in ``privacy/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import Move, StateMachine

from .display import REQUEST_MOVE_LABELS
from .exceptions import RequestTransitionRefused
from .models import DataRequest, DataRequestChange

S = DataRequest.Status
OFFICE = (Role.COORDINATOR,)

REQUEST_TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.PENDING, S.DONE): Move("carry_out", OFFICE, needs_comment=True),
    (S.PENDING, S.REFUSED): Move("refuse", OFFICE, needs_comment=True),
    (S.PENDING, S.WITHDRAWN): Move("withdraw", (Role.GUARDIAN,), notify=False),
}

REQUEST_MACHINE = StateMachine(
    status=S, moves=REQUEST_TRANSITIONS, history=DataRequestChange, subject="request",
    noun="个人信息申请", labels=REQUEST_MOVE_LABELS, error=RequestTransitionRefused)
