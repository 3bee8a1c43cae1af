"""The two state machines of safety, declared once in the shape of every state machine of the
project (:mod:`afterschool.workflow`).

A swap of duties (调班)::

    requested ──对方同意──▶ accepted ──办公室批准──▶ approved   (the two duties change hands)
       ├──对方不同意──▶ declined        └──办公室不批准（须说明原因）──▶ rejected
       └──申请人撤回──▶ cancelled ◀──申请人撤回── accepted
    (a regeneration of the roster that replaces either duty cancels it: the system's move)

A follow-up (整改) of a patrol's finding::

    open ──指派──▶ assigned ──负责人提交整改情况──▶ rectified ──验收关闭──▶ closed
                  │  ▲ (改派)                       │
                  │  └────────退回重新整改◀──────────┘
    open, assigned ──验收关闭（须写验收意见）──▶ closed

Only the services in ``safety/services`` move a status, along these tables, through these
machines, which write the history rows (codes, not labels). Who is "the other teacher", "the
requester" and "the person assigned" is decided by the ``in_scope`` the services pass. Labels
and button styles are in ``safety/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import SYSTEM, Move, StateMachine

from . import exceptions as e
from .display import FOLLOW_UP_MOVE_LABELS, SWAP_MOVE_LABELS
from .models import DutySwap, DutySwapChange, FollowUp, FollowUpChange

S = DutySwap.Status
F = FollowUp.Status

# Anyone with a staff row holds the tutor's or the external instructor's role; leaders are
# staff too. Tried in this order, so a principal swapping their own duty is recorded as staff.
PARTIES = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR, Role.HOMEROOM_TEACHER, Role.DUTY_TEACHER,
           Role.COORDINATOR, Role.PRINCIPAL)
OFFICE = (Role.COORDINATOR,)

SWAP_TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.REQUESTED, S.ACCEPTED): Move("accept", PARTIES),
    (S.REQUESTED, S.DECLINED): Move("decline", PARTIES),
    (S.REQUESTED, S.CANCELLED): Move("cancel", (*PARTIES, SYSTEM)),
    (S.ACCEPTED, S.CANCELLED): Move("cancel", (*PARTIES, SYSTEM)),
    (S.ACCEPTED, S.APPROVED): Move("approve", OFFICE),
    (S.ACCEPTED, S.REJECTED): Move("reject", OFFICE, needs_comment=True),
}

SWAP_MACHINE = StateMachine(
    status=S, moves=SWAP_TRANSITIONS, history=DutySwapChange, subject="swap", noun="调班",
    labels=SWAP_MOVE_LABELS, error=e.SwapTransitionRefused, not_allowed=e.SWAP_NOT_ALLOWED,
    role_not_allowed=e.SWAP_ROLE_NOT_ALLOWED, out_of_scope=e.SWAP_OUT_OF_SCOPE,
    comment_required=e.SWAP_COMMENT_REQUIRED)

SWAP_OPEN = frozenset({S.REQUESTED, S.ACCEPTED})

FOLLOW_UP_TRANSITIONS: dict[tuple[str, str], Move] = {
    (F.OPEN, F.ASSIGNED): Move("assign", OFFICE),
    (F.ASSIGNED, F.ASSIGNED): Move("reassign", OFFICE),
    (F.ASSIGNED, F.RECTIFIED): Move("report", (*PARTIES,), needs_comment=True),
    (F.RECTIFIED, F.ASSIGNED): Move("return", OFFICE, needs_comment=True),
    (F.OPEN, F.CLOSED): Move("close", OFFICE, needs_comment=True),
    (F.ASSIGNED, F.CLOSED): Move("close", OFFICE, needs_comment=True),
    (F.RECTIFIED, F.CLOSED): Move("close", OFFICE, needs_comment=True),
}

FOLLOW_UP_MACHINE = StateMachine(
    status=F, moves=FOLLOW_UP_TRANSITIONS, history=FollowUpChange, subject="follow_up",
    noun="整改", labels=FOLLOW_UP_MOVE_LABELS, error=e.FollowUpTransitionRefused,
    not_allowed=e.FOLLOW_UP_NOT_ALLOWED, role_not_allowed=e.FOLLOW_UP_ROLE_NOT_ALLOWED,
    out_of_scope=e.FOLLOW_UP_OUT_OF_SCOPE, comment_required=e.FOLLOW_UP_COMMENT_REQUIRED)

FOLLOW_UP_OPEN = frozenset({F.OPEN, F.ASSIGNED, F.RECTIFIED})
