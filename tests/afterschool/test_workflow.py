"""The shared state machine: the table decides, the actor's role and scope decide, codes are kept.

Exercised through both machines of the project; the rules themselves are checked here on the
arrangement's small one and the application's, so a third machine can rely on them.
"""

import pytest

from afterschool.access import Actor
from afterschool.models import Role
from afterschool.workflow import SYSTEM, InvalidTransition, Move, StateMachine
from arrangement.models import Arrangement, ArrangementChange
from arrangement.transitions import MACHINE as RUNS
from enrollment.models import Application
from enrollment.transitions import MACHINE as APPLICATIONS

RunStatus = Arrangement.Status
ApplicationStatus = Application.Status
OFFICE = Actor(user=None, school=None, roles=frozenset({Role.COORDINATOR}))
GUARDIAN = Actor(user=None, school=None, roles=frozenset({Role.GUARDIAN}))


def test_a_move_not_in_the_table_is_refused_in_the_apps_words():
    with pytest.raises(InvalidTransition) as caught:
        RUNS.check(RunStatus.PUBLISHED, RunStatus.DRAFT)
    assert caught.value.message == "统筹安排当前状态为“已发布”，不能改为“草稿”。"
    assert RUNS.check(RunStatus.DRAFT, RunStatus.PUBLISHED).name == "publish"


def test_the_system_makes_only_the_moves_marked_for_it():
    assert RUNS.authorise(RUNS.check(RunStatus.PUBLISHED, RunStatus.SUPERSEDED), None) == SYSTEM
    with pytest.raises(InvalidTransition, match="您没有权限执行“发布”"):
        RUNS.authorise(RUNS.check(RunStatus.DRAFT, RunStatus.PUBLISHED), None)
    with pytest.raises(InvalidTransition):
        # No person supersedes.
        RUNS.authorise(RUNS.check(RunStatus.PUBLISHED, RunStatus.SUPERSEDED), OFFICE)


def test_the_first_role_held_and_in_scope_is_the_one_recorded():
    move = APPLICATIONS.check(ApplicationStatus.SUBMITTED, ApplicationStatus.CLASS_APPROVED)
    both = Actor(user=None, school=None,
                 roles=frozenset({Role.HOMEROOM_TEACHER, Role.COORDINATOR}))
    assert APPLICATIONS.authorise(move, both) == Role.HOMEROOM_TEACHER
    assert APPLICATIONS.authorise(
        move, both, in_scope=lambda role: role == Role.COORDINATOR) == Role.COORDINATOR
    # Holding the role for someone else's row is "not yours"; not holding it is "no right".
    with pytest.raises(InvalidTransition, match="不属于您负责的学生"):
        APPLICATIONS.authorise(move, both, in_scope=lambda role: False)
    with pytest.raises(InvalidTransition, match="您没有权限"):
        APPLICATIONS.authorise(move, GUARDIAN)


def test_a_comment_is_required_where_the_table_says():
    with pytest.raises(InvalidTransition, match="请填写“退回修改”的原因"):
        APPLICATIONS.require_comment(
            APPLICATIONS.check(ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED), "")
    APPLICATIONS.require_comment(
        APPLICATIONS.check(ApplicationStatus.SUBMITTED, ApplicationStatus.CLASS_APPROVED), "")


def test_history_rows_keep_codes_and_the_role():
    row = RUNS.history_row(Arrangement(), from_status=RunStatus.DRAFT,
                           to_status=RunStatus.PUBLISHED, actor=OFFICE, role=Role.COORDINATOR,
                           comment="好")
    assert isinstance(row, ArrangementChange) and row.kind == ArrangementChange.Kind.STATUS
    assert (row.from_status, row.to_status, row.actor_role, row.comment) == (
        "draft", "published", "coordinator", "好")


def test_a_move_without_a_label_is_named_by_its_code():
    machine = StateMachine(status=RunStatus,
                           moves={(RunStatus.DRAFT, RunStatus.FAILED): Move("fail", (SYSTEM,))},
                           history=ArrangementChange, subject="arrangement", noun="统筹安排",
                           labels={})
    assert machine.label(machine.check(RunStatus.DRAFT, RunStatus.FAILED)) == "fail"
    assert machine.moves_from(RunStatus.DRAFT) == [(RunStatus.FAILED, Move("fail", (SYSTEM,)))]
