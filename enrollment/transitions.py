"""The application's life, declared once: which moves exist, who may make each, what they need.

``enrollment.services.application_transition`` is the only code that changes an application's
status, and it does so only along this table. Roles are tried in the order given, so a person
who is both the homeroom teacher and a coordinator is recorded as the homeroom teacher when
the student is in their homeroom.

::

    draft ──提交──▶ submitted ──班级审核通过──▶ class_approved ──学校复核通过──▶ school_approved ──统筹安排──▶ placed
                      │  ▲                         │  │
                      │  └── 重新提交 ◀── returned ◀┘  └──退回班主任重审──▶ submitted
                      └─▶ class_rejected              └─▶ school_rejected
    any state but a rejection (or withdrawn) ──退出──▶ withdrawn (with the date it takes effect)
"""

from __future__ import annotations

from dataclasses import dataclass

from afterschool.models import Role

from .models import Application

S = Application.Status

# The arrangement app publishing a plan from a task has no person behind it.
SYSTEM = "system"
ROLE_LABELS = {**{r.value: r.label for r in Role}, SYSTEM: "系统"}


@dataclass(frozen=True)
class Move:
    roles: tuple[str, ...]
    label: str
    needs_comment: bool = False
    # Tell the child's guardians (all but the one who made the move) by notice and email.
    notify: bool = True
    # Reviewers see these as buttons; the rest happen on their own pages.
    style: str = "primary"


REVIEWERS = (Role.HOMEROOM_TEACHER, Role.COORDINATOR)
OFFICE = (Role.COORDINATOR,)
GUARDIAN = (Role.GUARDIAN,)

WITHDRAW = Move(roles=(Role.GUARDIAN, Role.COORDINATOR), label="退出课后服务",
                needs_comment=True, style="outline-danger")

TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.DRAFT, S.SUBMITTED): Move(GUARDIAN, "提交"),
    (S.SUBMITTED, S.CLASS_APPROVED): Move(REVIEWERS, "班级审核通过", style="success"),
    (S.SUBMITTED, S.RETURNED): Move(REVIEWERS, "退回修改", needs_comment=True,
                                    style="outline-warning"),
    (S.SUBMITTED, S.CLASS_REJECTED): Move(REVIEWERS, "班级审核不通过", needs_comment=True,
                                          style="outline-danger"),
    (S.RETURNED, S.SUBMITTED): Move(GUARDIAN, "重新提交"),
    (S.CLASS_APPROVED, S.SCHOOL_APPROVED): Move(OFFICE, "学校复核通过", style="success"),
    (S.CLASS_APPROVED, S.SCHOOL_REJECTED): Move(OFFICE, "学校复核不通过", needs_comment=True,
                                                style="outline-danger"),
    (S.CLASS_APPROVED, S.RETURNED): Move(OFFICE, "退回家长修改", needs_comment=True,
                                         style="outline-warning"),
    # Between the office and the homeroom teacher: the family has nothing to do, so no notice.
    (S.CLASS_APPROVED, S.SUBMITTED): Move(OFFICE, "退回班主任重审", needs_comment=True,
                                          notify=False, style="outline-secondary"),
    (S.SCHOOL_APPROVED, S.PLACED): Move((Role.COORDINATOR, SYSTEM), "统筹安排"),
    **{(state, S.WITHDRAWN): WITHDRAW
       for state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.CLASS_APPROVED,
                     S.SCHOOL_APPROVED, S.PLACED)},
}

# The guardian may change the form's content only in these states.
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
# Final: nothing leaves them.
FINAL = frozenset({S.CLASS_REJECTED, S.SCHOOL_REJECTED, S.WITHDRAWN})
# "Approve" in a bulk action or a queue means the next review step from where it stands.
APPROVE_NEXT = {S.SUBMITTED: S.CLASS_APPROVED, S.CLASS_APPROVED: S.SCHOOL_APPROVED}
# Statuses counted as answered / approved in the statistics.
ANSWERED = frozenset(S.values) - {S.DRAFT}
APPROVED = frozenset({S.CLASS_APPROVED, S.SCHOOL_APPROVED, S.PLACED})
REJECTED = frozenset({S.CLASS_REJECTED, S.SCHOOL_REJECTED})


def move_for(from_status: str, to_status: str) -> Move | None:
    return TRANSITIONS.get((from_status, to_status))


def moves_from(status: str) -> list[tuple[str, Move]]:
    return [(to, move) for (frm, to), move in TRANSITIONS.items() if frm == status]
