"""Two requests at once, for real: threads with their own PostgreSQL connections.

A pause is slipped in right after the row lock (or the existence check), so the two calls
truly overlap: without ``select_for_update`` both reviewers would write a transition, and
without the IntegrityError refetch the second double-click would fail.
"""

import threading
import time

import pytest
from django.db import connection, connections

from afterschool.access import actor_for
from enrollment import exceptions, services
from enrollment.models import Application, ApplicationTransition
from enrollment.services import filling, review
from tests.conftest import require_service

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db(transaction=True)
Status = Application.Status
PAUSE = 0.3


def run_at_once(*calls):
    """Run each callable in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not t.is_alive() for t in threads)
    return results


def _slow(monkeypatch, module, name):
    real = getattr(module, name)

    def slowed(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    monkeypatch.setattr(module, name, slowed)


def test_two_reviewers_at_once_make_one_transition(world, monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    teacher = actor_for(world.homeroom_teacher.user, world.school)
    office = actor_for(world.coordinator, world.school)
    # Each reviewer loaded the page while the form was "submitted".
    seen_by_teacher = Application.objects.get(pk=app.pk)
    seen_by_office = Application.objects.get(pk=app.pk)
    _slow(monkeypatch, review, "lock_application")

    results = run_at_once(
        lambda: services.application_transition(
            application=seen_by_teacher, to_status=Status.CLASS_APPROVED, actor=teacher),
        lambda: services.application_transition(
            application=seen_by_office, to_status=Status.RETURNED, actor=office, comment="请补充"),
    )

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    (winner,) = [value for kind, value in results if kind == "ok"]
    (error,) = [value for kind, value in results if kind == "error"]
    assert isinstance(error, exceptions.StaleApplication)
    assert error.message == exceptions.STALE_FOR_REVIEWER.format(status=Status(winner.status).label)
    assert ApplicationTransition.objects.filter(application=app).count() == 1
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.status == winner.status and fresh.revision == 1


def test_a_double_clicked_start_creates_one_application(world, monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    guardian = actor_for(world.guardian.user, world.school)
    # Both requests get past "is there one already?" before either inserts.
    _slow(monkeypatch, filling, "window_check")

    results = run_at_once(
        lambda: services.application_start(student=world.child, term=world.term, actor=guardian),
        lambda: services.application_start(student=world.child, term=world.term, actor=guardian),
    )

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    first, second = (value for _, value in results)
    assert first.pk == second.pk
    assert Application.objects.filter(student=world.child, term=world.term).count() == 1


def test_a_guardian_edit_racing_a_withdrawal_by_the_office_loses_cleanly(world, monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    from django.utils import timezone

    app = ApplicationFactory(student=world.child, term=world.term, status=Status.RETURNED)
    guardian = actor_for(world.guardian.user, world.school)
    office = actor_for(world.coordinator, world.school)
    seen = Application.objects.get(pk=app.pk)
    _slow(monkeypatch, filling, "lock_application")
    _slow(monkeypatch, review, "lock_application")

    results = run_at_once(
        lambda: services.application_update(
            application=seen, actor=guardian, expected_revision=seen.revision,
            participates=True, weekdays=[1], dismissal="picked_up",
            pickup_persons=[{"name": "张爷爷", "relation": "爷爷", "phone": "13900139000"}],
            contact_phone="13800138000"),
        lambda: services.application_withdraw(
            application=seen, actor=office, withdrawn_on=timezone.localdate(),
            reason="家长电话申请退出"),
    )

    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, exceptions.StaleApplication)
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.revision == 1
    assert ApplicationTransition.objects.filter(application=app).count() == (
        1 if fresh.status == Status.WITHDRAWN else 0)
