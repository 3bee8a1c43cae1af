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

from . import exceptions
from .display import MOVE_LABELS
from .models import Application, ApplicationTransition

Status = Application.Status

REVIEWERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
OFFICE = (Role.COORDINATOR,)
GUARDIAN = (Role.GUARDIAN,)

WITHDRAW = Move("withdraw", (Role.GUARDIAN, Role.COORDINATOR), needs_comment=True)
# Coming back after leaving reopens the same form (one per student per term, a database
# constraint) as a draft to review again; the withdrawal stays in its history. The family
# made the move, so nobody is told; the reviewers see it when it is submitted again.
REJOIN = Move("rejoin", GUARDIAN, notify=False)

TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.DRAFT, Status.SUBMITTED): Move("submit", GUARDIAN),
    (Status.SUBMITTED, Status.CLASS_APPROVED): Move("class_approve", REVIEWERS),
    (Status.SUBMITTED, Status.RETURNED): Move("class_return", REVIEWERS, needs_comment=True),
    (Status.SUBMITTED, Status.CLASS_REJECTED): Move("class_reject", REVIEWERS, needs_comment=True),
    (Status.RETURNED, Status.SUBMITTED): Move("resubmit", GUARDIAN),
    (Status.CLASS_APPROVED, Status.SCHOOL_APPROVED): Move("school_approve", OFFICE),
    (Status.CLASS_APPROVED, Status.SCHOOL_REJECTED): Move("school_reject", OFFICE,
                                                          needs_comment=True),
    (Status.CLASS_APPROVED, Status.RETURNED): Move("school_return", OFFICE, needs_comment=True),
    # Between the office and the homeroom teacher: the family has nothing to do, so no notice.
    (Status.CLASS_APPROVED, Status.SUBMITTED): Move("recheck", OFFICE, needs_comment=True,
                                                    notify=False),
    # The arrangement app publishing a plan from a task has no person behind it.
    (Status.SCHOOL_APPROVED, Status.PLACED): Move("place", (Role.COORDINATOR, SYSTEM)),
    **{(state, Status.WITHDRAWN): WITHDRAW
       for state in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.CLASS_APPROVED,
                     Status.SCHOOL_APPROVED, Status.PLACED)},
    (Status.WITHDRAWN, Status.DRAFT): REJOIN,
}

MACHINE = StateMachine(
    status=Status, moves=TRANSITIONS, history=ApplicationTransition, subject="application",
    noun="意向书", labels=MOVE_LABELS, error=exceptions.InvalidTransition,
    not_allowed=exceptions.TRANSITION_NOT_ALLOWED, role_not_allowed=exceptions.ROLE_NOT_ALLOWED,
    out_of_scope=exceptions.OUT_OF_SCOPE, comment_required=exceptions.COMMENT_REQUIRED)

# The guardian may change the form's content only in these states.
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
# Final: nothing leaves them, but a withdrawal the family takes back while the window is open.
FINAL = frozenset({Status.CLASS_REJECTED, Status.SCHOOL_REJECTED, Status.WITHDRAWN})
# "Approve" in a bulk action or a queue means the next review step from where it stands.
APPROVE_NEXT = {Status.SUBMITTED: Status.CLASS_APPROVED,
                Status.CLASS_APPROVED: Status.SCHOOL_APPROVED}
# Statuses counted as answered / approved in the statistics.
ANSWERED = frozenset(Status.values) - {Status.DRAFT}
APPROVED = frozenset({Status.CLASS_APPROVED, Status.SCHOOL_APPROVED, Status.PLACED})
REJECTED = frozenset({Status.CLASS_REJECTED, Status.SCHOOL_REJECTED})

move_for = MACHINE.move
moves_from = MACHINE.moves_from
