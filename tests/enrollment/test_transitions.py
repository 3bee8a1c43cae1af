"""Every (from, to) pair, tried by every kind of person: the allowed ones move, the rest refuse."""

import itertools

import pytest
from django.utils import timezone

from enrollment import exceptions, services
from enrollment.display import MOVE_LABELS, MOVE_STYLES, move_label
from enrollment.models import Application, ApplicationTransition
from enrollment.transitions import TRANSITIONS

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status

REVIEW = {"homeroom_teacher", "coordinator"}
LEAVE = {"guardian", "coordinator"}
# The workflow as the issue states it, written out again so the table cannot drift from it.
EXPECTED = {
    (Status.DRAFT, Status.SUBMITTED): {"guardian"},
    (Status.SUBMITTED, Status.CLASS_APPROVED): REVIEW,
    (Status.SUBMITTED, Status.RETURNED): REVIEW,
    (Status.SUBMITTED, Status.CLASS_REJECTED): REVIEW,
    (Status.RETURNED, Status.SUBMITTED): {"guardian"},
    (Status.CLASS_APPROVED, Status.SCHOOL_APPROVED): {"coordinator"},
    (Status.CLASS_APPROVED, Status.SCHOOL_REJECTED): {"coordinator"},
    (Status.CLASS_APPROVED, Status.RETURNED): {"coordinator"},
    (Status.CLASS_APPROVED, Status.SUBMITTED): {"coordinator"},
    (Status.SCHOOL_APPROVED, Status.PLACED): {"coordinator"},
    **{(state, Status.WITHDRAWN): LEAVE
       for state in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.CLASS_APPROVED,
                     Status.SCHOOL_APPROVED, Status.PLACED)},
    # Issue 10: a family that withdrew may come back while the window is open.
    (Status.WITHDRAWN, Status.DRAFT): {"guardian"},
}
ACTORS = ["guardian", "other_guardian", "homeroom_teacher", "other_homeroom_teacher",
          "coordinator", "principal", "tutor", "foreign_coordinator"]
ROLE_OF = {"guardian": "guardian", "other_guardian": "guardian",
           "homeroom_teacher": "homeroom_teacher", "other_homeroom_teacher": "homeroom_teacher",
           "coordinator": "coordinator", "foreign_coordinator": "coordinator",
           "principal": "principal", "tutor": "tutor"}
PAIRS = [(a, b) for a, b in itertools.permutations(Status.values, 2)]


def test_the_table_is_the_workflow_of_the_issue():
    declared = {key: {str(r) for r in move.roles if r != "system"}
                for key, move in TRANSITIONS.items()}
    assert declared == EXPECTED
    assert "system" in TRANSITIONS[(Status.SCHOOL_APPROVED, Status.PLACED)].roles
    needs = {key for key, move in TRANSITIONS.items() if move.needs_comment}
    assert needs == {(Status.SUBMITTED, Status.RETURNED), (Status.SUBMITTED, Status.CLASS_REJECTED),
                     (Status.CLASS_APPROVED, Status.SCHOOL_REJECTED),
                     (Status.CLASS_APPROVED, Status.RETURNED),
                     (Status.CLASS_APPROVED, Status.SUBMITTED),
                     *[k for k in EXPECTED if k[1] == Status.WITHDRAWN]}


def test_every_move_has_a_label_and_the_table_no_display():
    names = {move.name for move in TRANSITIONS.values()}
    assert names == set(MOVE_LABELS) and set(MOVE_STYLES) <= names
    # The moves of the table are domain only: labels and button styles live in display.py.
    assert not {"label", "style"} & set(vars(TRANSITIONS[(Status.DRAFT, Status.SUBMITTED)]))
    assert move_label(TRANSITIONS[(Status.DRAFT, Status.SUBMITTED)]) == "提交"


def _reset(app, status):
    Application.objects.filter(pk=app.pk).update(
        status=status, withdrawn_on=timezone.localdate() if status == Status.WITHDRAWN else None,
        withdraw_reason="原因" if status == Status.WITHDRAWN else "")
    app.refresh_from_db()
    return app


@pytest.mark.parametrize("from_status,to_status", PAIRS)
def test_each_move_by_each_person(world, actors, agreement, from_status, to_status):
    app = ApplicationFactory(student=world.child, term=world.term, status=from_status,
                             signed=agreement)
    allowed_for = EXPECTED.get((from_status, to_status), set())
    for name in ACTORS:
        _reset(app, from_status)
        before = ApplicationTransition.objects.count()
        if name in allowed_for:
            moved = services.application_transition(
                application=app, to_status=to_status, actor=actors[name], comment="原因",
                withdrawn_on=timezone.localdate())
            assert moved.status == to_status, name
            row = ApplicationTransition.objects.latest("pk")
            assert (row.from_status, row.to_status, row.actor_role, row.comment) == (
                from_status, to_status, name, "原因")
            assert row.actor == actors[name].user
        else:
            with pytest.raises(exceptions.InvalidTransition) as caught:
                services.application_transition(
                    application=app, to_status=to_status, actor=actors[name], comment="原因",
                    withdrawn_on=timezone.localdate())
            app.refresh_from_db()
            assert app.status == from_status, name
            assert ApplicationTransition.objects.count() == before
            if (from_status, to_status) not in EXPECTED:
                assert caught.value.message == exceptions.TRANSITION_NOT_ALLOWED.format(
                    current=Status(from_status).label, target=Status(to_status).label)
            else:
                # Holding the right role for someone else's child is "not yours", not "no right".
                template = (exceptions.OUT_OF_SCOPE if ROLE_OF[name] in allowed_for
                            else exceptions.ROLE_NOT_ALLOWED)
                label = move_label(TRANSITIONS[(from_status, to_status)])
                assert caught.value.message == template.format(label=label), name


def test_a_move_saves_update_fields_bumps_revision_and_time(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    before = app.status_changed_at
    moved = services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                            actor=actors["homeroom_teacher"], comment="好")
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.revision == app.revision + 1 == moved.revision
    assert fresh.status_changed_at > before
    assert fresh.decision_comment == "好"


@pytest.mark.parametrize("to_status", [Status.RETURNED, Status.CLASS_REJECTED])
def test_returning_or_rejecting_needs_a_reason(world, actors, to_status):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with pytest.raises(exceptions.InvalidTransition) as caught:
        services.application_transition(application=app, to_status=to_status,
                                        actor=actors["homeroom_teacher"], comment="  ")
    assert caught.value.message == exceptions.COMMENT_REQUIRED.format(
        label=move_label(TRANSITIONS[(Status.SUBMITTED, to_status)]))


def test_submit_needs_a_complete_form(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, participates=None,
                             signed=agreement)
    with pytest.raises(exceptions.ApplicationInvalid, match=exceptions.ANSWER_REQUIRED):
        services.application_submit(application=app, actor=actors["guardian"])
    Application.objects.filter(pk=app.pk).update(participates=True, weekdays=[])
    app.refresh_from_db()
    with pytest.raises(exceptions.ApplicationInvalid, match=exceptions.WEEKDAYS_REQUIRED):
        services.application_submit(application=app, actor=actors["guardian"])
    app.pickup_persons.all().delete()
    Application.objects.filter(pk=app.pk).update(weekdays=[1])
    app.refresh_from_db()
    with pytest.raises(exceptions.ApplicationInvalid, match=exceptions.PICKUP_PERSON_REQUIRED):
        services.application_submit(application=app, actor=actors["guardian"])


def test_a_declined_form_is_submitted_without_choices_or_signature(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, participates=False,
                             weekdays=[], dismissal="", pickups=False)
    moved = services.application_submit(application=app, actor=actors["guardian"])
    assert moved.status == Status.SUBMITTED and moved.submitted_at is not None


def test_placing_a_declined_form_is_refused(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, participates=False,
                             status=Status.SCHOOL_APPROVED)
    with pytest.raises(exceptions.InvalidTransition, match="不参加"):
        services.application_place(application=app, actor=actors["coordinator"])


def test_the_system_may_place_but_not_approve(world):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SCHOOL_APPROVED)
    placed = services.application_place(application=app, actor=None, comment="统筹安排发布")
    assert placed.status == Status.PLACED
    row = ApplicationTransition.objects.get(application=app)
    assert row.actor is None and row.actor_role == "system"
    other = ApplicationFactory(student=world.other_child, term=world.term, status=Status.SUBMITTED)
    with pytest.raises(exceptions.InvalidTransition):
        services.application_transition(application=other, to_status=Status.CLASS_APPROVED,
                                        actor=None)


def test_a_stale_instance_is_refused_with_the_current_status(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    stale = Application.objects.get(pk=app.pk)
    services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                    actor=actors["homeroom_teacher"])
    with pytest.raises(exceptions.StaleApplication) as caught:
        services.application_transition(application=stale, to_status=Status.RETURNED,
                                        actor=actors["coordinator"], comment="请补充")
    assert caught.value.message == exceptions.STALE_FOR_REVIEWER.format(
        status=Status.CLASS_APPROVED.label)
    assert ApplicationTransition.objects.filter(application=app).count() == 1


def test_a_coordinator_who_is_also_the_homeroom_teacher_is_recorded_as_such(world, actors):
    from afterschool.access import actor_for
    from afterschool.models import Role
    from tests import factories as core

    core.grant(world.homeroom_teacher.user, Role.COORDINATOR, world.school)
    both = actor_for(world.homeroom_teacher.user, world.school)
    mine = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    theirs = ApplicationFactory(student=world.sibling, term=world.term, status=Status.SUBMITTED)
    services.application_transition(application=mine, to_status=Status.CLASS_APPROVED, actor=both)
    services.application_transition(application=theirs, to_status=Status.CLASS_APPROVED, actor=both)
    roles = dict(ApplicationTransition.objects.values_list("application_id", "actor_role"))
    assert roles == {mine.pk: "homeroom_teacher", theirs.pk: "coordinator"}
