"""The application's life, declared once: which moves exist, who may make each, what they need.

``enrollment.services.application_transition`` is the only code that changes an application's
status, and it does so only along this table, through the core's shared
:class:`~afterschool.workflow.StateMachine` (:data:`MACHINE`), which writes an
``ApplicationTransition`` (codes, not labels) for every move. Roles are tried in the order
given, so a person who is both the homeroom teacher and a coordinator is recorded as the
homeroom teacher when the student is in their homeroom. The moves' labels and button styles are
in ``enrollment/display.py``.

::

    draft ──提交──▶ submitted ──班级审核通过──▶ class_approved ──学校复核通过──▶ school_approved ──统筹安排──▶ placed
                      │  ▲                         │  │
                      │  └── 重新提交 ◀── returned ◀┘  └──退回班主任重审──▶ submitted
                      └─▶ class_rejected              └─▶ school_rejected
    any state but a rejection (or withdrawn) ──退出──▶ withdrawn (with the date it takes effect)
    withdrawn ──重新参加（家长，填报窗口开放时）──▶ draft
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import SYSTEM, Move, StateMachine

from . import exceptions as e
from .display import MOVE_LABELS
from .models import Application, ApplicationTransition

S = Application.Status

REVIEWERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
OFFICE = (Role.COORDINATOR,)
GUARDIAN = (Role.GUARDIAN,)

WITHDRAW = Move("withdraw", (Role.GUARDIAN, Role.COORDINATOR), needs_comment=True)
# Coming back after leaving reopens the same form (one per student per term, a database
# constraint) as a draft to review again; the withdrawal stays in its history. The family
# made the move, so nobody is told; the reviewers see it when it is submitted again.
REJOIN = Move("rejoin", GUARDIAN, notify=False)

TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.DRAFT, S.SUBMITTED): Move("submit", GUARDIAN),
    (S.SUBMITTED, S.CLASS_APPROVED): Move("class_approve", REVIEWERS),
    (S.SUBMITTED, S.RETURNED): Move("class_return", REVIEWERS, needs_comment=True),
    (S.SUBMITTED, S.CLASS_REJECTED): Move("class_reject", REVIEWERS, needs_comment=True),
    (S.RETURNED, S.SUBMITTED): Move("resubmit", GUARDIAN),
    (S.CLASS_APPROVED, S.SCHOOL_APPROVED): Move("school_approve", OFFICE),
    (S.CLASS_APPROVED, S.SCHOOL_REJECTED): Move("school_reject", OFFICE, needs_comment=True),
    (S.CLASS_APPROVED, S.RETURNED): Move("school_return", OFFICE, needs_comment=True),
    # Between the office and the homeroom teacher: the family has nothing to do, so no notice.
    (S.CLASS_APPROVED, S.SUBMITTED): Move("recheck", OFFICE, needs_comment=True, notify=False),
    # The arrangement app publishing a plan from a task has no person behind it.
    (S.SCHOOL_APPROVED, S.PLACED): Move("place", (Role.COORDINATOR, SYSTEM)),
    **{(state, S.WITHDRAWN): WITHDRAW
       for state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.CLASS_APPROVED,
                     S.SCHOOL_APPROVED, S.PLACED)},
    (S.WITHDRAWN, S.DRAFT): REJOIN,
}

MACHINE = StateMachine(
    status=S, moves=TRANSITIONS, history=ApplicationTransition, subject="application",
    noun="意向书", labels=MOVE_LABELS, error=e.InvalidTransition,
    not_allowed=e.TRANSITION_NOT_ALLOWED, role_not_allowed=e.ROLE_NOT_ALLOWED,
    out_of_scope=e.OUT_OF_SCOPE, comment_required=e.COMMENT_REQUIRED)

# The guardian may change the form's content only in these states.
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
# Final: nothing leaves them, but a withdrawal the family takes back while the window is open.
FINAL = frozenset({S.CLASS_REJECTED, S.SCHOOL_REJECTED, S.WITHDRAWN})
# "Approve" in a bulk action or a queue means the next review step from where it stands.
APPROVE_NEXT = {S.SUBMITTED: S.CLASS_APPROVED, S.CLASS_APPROVED: S.SCHOOL_APPROVED}
# Statuses counted as answered / approved in the statistics.
ANSWERED = frozenset(S.values) - {S.DRAFT}
APPROVED = frozenset({S.CLASS_APPROVED, S.SCHOOL_APPROVED, S.PLACED})
REJECTED = frozenset({S.CLASS_REJECTED, S.SCHOOL_REJECTED})

move_for = MACHINE.move
moves_from = MACHINE.moves_from
