"""A leave request's life, declared once, in the shape of every state machine of the project
(:mod:`afterschool.workflow`)::

    pending ──批准──▶ approved ──撤销请假──▶ cancelled
       ├──不批准（须说明原因）──▶ declined
       └──撤销请假──▶ cancelled

A guardian's request starts pending; a leave a member of staff records for the family (a phone
call) is made and approved in one step by that person. Only :mod:`attendance.services.leave`
moves a leave's status, along this table, through :data:`LEAVE_MACHINE`, which writes a
``LeaveRequestChange`` (codes, not labels) for each move. Roles are tried in the order given,
so a homeroom teacher who is also a coordinator is recorded as the homeroom teacher for a child
of their homeroom. Labels and button styles are in ``attendance/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import Move, StateMachine

from . import exceptions as errors
from .display import LEAVE_MOVE_LABELS
from .models import LeaveRequest, LeaveRequestChange

LeaveStatus = LeaveRequest.Status

DECIDERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
# A family cancels; staff cancel for a family who phones.
CANCELLERS = (Role.GUARDIAN, Role.HOMEROOM_TEACHER, Role.COORDINATOR)

CANCEL = Move("cancel", CANCELLERS)

LEAVE_TRANSITIONS: dict[tuple[str, str], Move] = {
    (LeaveStatus.PENDING, LeaveStatus.APPROVED): Move("approve", DECIDERS),
    (LeaveStatus.PENDING, LeaveStatus.DECLINED): Move("decline", DECIDERS, needs_comment=True),
    (LeaveStatus.PENDING, LeaveStatus.CANCELLED): CANCEL,
    (LeaveStatus.APPROVED, LeaveStatus.CANCELLED): CANCEL,
}

LEAVE_MACHINE = StateMachine(
    status=LeaveStatus, moves=LEAVE_TRANSITIONS, history=LeaveRequestChange, subject="leave",
    noun="请假", labels=LEAVE_MOVE_LABELS, error=errors.LeaveTransitionRefused,
    not_allowed=errors.LEAVE_NOT_ALLOWED, role_not_allowed=errors.LEAVE_ROLE_NOT_ALLOWED,
    out_of_scope=errors.LEAVE_OUT_OF_SCOPE, comment_required=errors.LEAVE_COMMENT_REQUIRED)

# Leave that still holds a child's days: a new request may not overlap it.
HOLDING = frozenset({LeaveStatus.PENDING, LeaveStatus.APPROVED})
FINAL = frozenset({LeaveStatus.DECLINED, LeaveStatus.CANCELLED})
