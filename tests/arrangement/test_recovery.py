"""Runs never left spinning: queued again if the broker was down, marked interrupted if their
worker vanished (and a new run may start then, not before), redeliveries capped; publishing
notifies in bulk with a query count independent of the number of families."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Delivery, Notice
from arrangement import exceptions, services
from arrangement.models import Arrangement
from arrangement.services import runs
from arrangement.services.recovery import INTERRUPTED, arrangements_sweep
from arrangement.tasks import arrangement_compute_task
from tests import factories

from .factories import run_now, small_term

Status = Arrangement.Status


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


def test_a_start_while_the_broker_is_down_is_queued_by_the_sweep(
        world, office, monkeypatch, django_capture_on_commit_callbacks):
    st = small_term(world)
    monkeypatch.setattr(arrangement_compute_task, "delay",
                        lambda *a: (_ for _ in ()).throw(ConnectionRefusedError("redis")))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.arrangement_start(term=st.term, actor=office)
    run.refresh_from_db()
    assert run.is_running and run.started_at is None  # the start stands, queued
    queued, interrupted = arrangements_sweep(now=timezone.now() + dt.timedelta(minutes=2))
    assert (queued, interrupted) == ([run.pk], 0)
    monkeypatch.undo()
    arrangement_compute_task.delay(run.pk)  # what the sweep task publishes
    run.refresh_from_db()
    assert run.finished_at and run.status == Status.DRAFT and run.attempts == 1


def test_a_silent_run_is_interrupted_and_a_new_one_may_start(world, office, login,
                                                             django_capture_on_commit_callbacks):
    st = small_term(world)
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    # A run whose worker vanished mid-computation: started, heartbeat stopped.
    Arrangement.objects.filter(pk=run.pk).update(finished_at=None, progress="正在分配…",
                                                  task_id="lost")
    with pytest.raises(exceptions.ArrangementError):
        services.arrangement_start(term=st.term, actor=office)  # still inside the window
    later = timezone.now() + runs.STALE_RUN + dt.timedelta(seconds=5)
    assert arrangements_sweep(now=timezone.now() + dt.timedelta(minutes=5)) == ([], 0)
    assert arrangements_sweep(now=later) == ([], 1)
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.error == INTERRUPTED
    page = login(world.coordinator).get(reverse("arrangement:detail", args=[run.pk]))
    assert "计算中断" in page.content.decode() and "重新开始统筹安排" in page.content.decode()
    new = run_now(st.term, office, django_capture_on_commit_callbacks)
    assert new.version == run.version + 1 and new.finished_at


def test_the_stale_window_follows_the_heartbeat_not_the_start(world, office):
    st = small_term(world)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Arrangement.objects.create(term=st.term, version=1, seed=1, created_at=long_ago,
                               started_at=long_ago, updated_at=timezone.now())
    with pytest.raises(exceptions.ArrangementError):  # old, but still working: blocks
        services.arrangement_start(term=st.term, actor=office)


def test_a_second_message_does_not_compute_twice_and_redeliveries_are_capped(world, office):
    st = small_term(world)
    run = Arrangement.objects.create(term=st.term, version=1, seed=1)
    Arrangement.objects.filter(pk=run.pk).update(started_at=timezone.now(), task_id="first")
    run.refresh_from_db()
    assert runs.arrangement_compute(arrangement=run, task_id="second").finished_at is None
    Arrangement.objects.filter(pk=run.pk).update(attempts=runs.MAX_ATTEMPTS)
    done = runs.arrangement_compute(arrangement=run, task_id="first")  # redelivered again
    assert done.status == Status.FAILED
    assert done.error.startswith(f"计算了 {runs.MAX_ATTEMPTS} 次都在中途中断")


def _publish_queries(world, office, n_students, capture):
    st = small_term(world, n_students=n_students, capacity=n_students)
    for student in st.students[3:]:
        factories.link_guardian(student, factories.GuardianFactory(school=world.school))
    run = run_now(st.term, office, capture)
    with CaptureQueriesContext(connection) as queries:
        published = services.arrangement_publish(arrangement=run, actor=office)
    return len(queries), published


def test_publishing_notifies_in_bulk(world, office, django_capture_on_commit_callbacks):
    count, published = _publish_queries(world, office, 8, django_capture_on_commit_callbacks)
    notices = Notice.objects.filter(title__contains="安排已发布").count()
    assert notices == 8  # one per child and guardian: 王丽 has two children
    assert published.notice_summary.startswith("已通知 7 位家长（站内 8，短信 8 条发送中")
    assert Delivery.objects.filter(channel="sms").count() == 8


@pytest.mark.django_db
def test_publishing_queries_do_not_grow_with_families(world, office,
                                                      django_capture_on_commit_callbacks):
    small, _ = _publish_queries(world, office, 6, django_capture_on_commit_callbacks)
    world.term = factories.TermFactory(school=world.school, name="第二学期", is_current=False)
    large, _ = _publish_queries(world, office, 40, django_capture_on_commit_callbacks)
    assert large == small, (small, large)
