"""The statements' and the assessments' lives, declared once, in the shape of every state
machine of the project (:mod:`afterschool.workflow`).

A statement (课时补助月报)::

    issued ──确认无误（本人）──▶ final
      │  └──按最新记录更新（办公室、系统）──▶ issued
      │  └──办公室定稿（须说明，如“逾期未确认”）──▶ final
      └──提出异议（本人，须说明）──▶ disputed ──提出异议（另一项）──▶ disputed
                                        ├──处理异议（办公室，还有未处理的）──▶ disputed
                                        └──处理异议（办公室，最后一项）──▶ final

An assessment (考核)::

    proposed ──重新计算（办公室、校长）──▶ proposed
       └──确认名单（校长）──▶ confirmed ──重新评议（校长，须说明）──▶ proposed

Only :mod:`evaluation.services` moves a status, through these machines, which write a
history row (codes, not labels) for each move. Labels are in ``evaluation/display.py``.
"""

from __future__ import annotations

from afterschool.models import Role
from afterschool.workflow import SYSTEM, Move, StateMachine

from . import exceptions as e
from .display import ASSESSMENT_MOVE_LABELS, STATEMENT_MOVE_LABELS
from .models import Assessment, AssessmentChange, Statement, StatementChange

S = Statement.Status
A = Assessment.Status

# Whoever the statement is for: a teacher of the school or an external instructor.
OWNER = (Role.TUTOR, Role.EXTERNAL_INSTRUCTOR)
OFFICE = (Role.COORDINATOR,)

STATEMENT_TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.ISSUED, S.FINAL): Move("confirm", OWNER, notify=False),
    (S.ISSUED, S.DISPUTED): Move("dispute", OWNER, needs_comment=True),
    (S.DISPUTED, S.DISPUTED): Move("dispute", OWNER, needs_comment=True),
    (S.ISSUED, S.ISSUED): Move("refresh", (*OFFICE, SYSTEM)),
}
# Resolving is the office's, and the move it makes depends on whether disputes remain; the
# office may also close a statement nobody answered.
RESOLVE_LAST = Move("resolve", OFFICE, needs_comment=True)
RESOLVE_ONE = Move("resolve", OFFICE, needs_comment=True)
FINALIZE = Move("finalize", OFFICE, needs_comment=True)
STATEMENT_OFFICE_MOVES: dict[tuple[str, str], Move] = {
    (S.DISPUTED, S.FINAL): RESOLVE_LAST,
    (S.DISPUTED, S.DISPUTED): RESOLVE_ONE,
    (S.ISSUED, S.FINAL): FINALIZE,
}

STATEMENT_MACHINE = StateMachine(
    status=S, moves=STATEMENT_TRANSITIONS, history=StatementChange, subject="statement",
    noun="月报", labels=STATEMENT_MOVE_LABELS, error=e.StatementTransitionRefused)
# The same rows and history, the office's moves: a second table over the same statuses,
# because (issued → final) is the owner's "confirm" in one and the office's "finalize" in the
# other.
STATEMENT_OFFICE_MACHINE = StateMachine(
    status=S, moves=STATEMENT_OFFICE_MOVES, history=StatementChange, subject="statement",
    noun="月报", labels=STATEMENT_MOVE_LABELS, error=e.StatementTransitionRefused)

ASSESSMENT_TRANSITIONS: dict[tuple[str, str], Move] = {
    (A.PROPOSED, A.PROPOSED): Move("recompute", (Role.COORDINATOR, Role.PRINCIPAL, SYSTEM),
                                   notify=False),
    (A.PROPOSED, A.CONFIRMED): Move("confirm", (Role.PRINCIPAL,)),
    (A.CONFIRMED, A.PROPOSED): Move("reopen", (Role.PRINCIPAL,), needs_comment=True),
}

ASSESSMENT_MACHINE = StateMachine(
    status=A, moves=ASSESSMENT_TRANSITIONS, history=AssessmentChange, subject="assessment",
    noun="考核", labels=ASSESSMENT_MOVE_LABELS, error=e.AssessmentTransitionRefused)

# Statements someone still has to act on.
OPEN = frozenset({S.ISSUED, S.DISPUTED})
