"""Two tutors releasing the same child at once, for real: threads with their own PostgreSQL
connections, released together by a barrier. One release is written; the other phone is told
who released the child, and nothing else of its request is written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from afterschool.access import actor_for
from attendance import exceptions as errors
from attendance.models import Dismissal, DismissalDay
from attendance.services import dismissal_release_group, duty_release
from tests.conftest import require_service

from .leave_builders import MONDAY, at
from .test_dismissal_services import build_day

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
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


def test_two_phones_releasing_the_same_child_give_one_release(world):
    require_service("PostgreSQL", connection.vendor == "postgresql",
                    "设置 DATABASE_URL=postgres://…")
    d = build_day(world)
    substitute_free_duty = actor_for(world.duty_teacher.user, world.school)
    for _ in range(3):  # a few rounds: the threads meet in a different order each time
        Dismissal.objects.all().delete()
        DismissalDay.objects.all().delete()
        results = run_at_once(
            lambda: dismissal_release_group(lesson=d.lesson, actor=d.tutor, way="bus",
                                            route="2 号线", student_ids=[c.pk for c in d.bus],
                                            now=at(MONDAY, 17, 21)),
            lambda: duty_release(actor=substitute_free_duty, student_id=d.bus[0].pk, how="way",
                                 now=at(MONDAY, 17, 21)),
        )
        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["error", "ok"], results
        (error,) = [value for kind, value in results if kind == "error"]
        assert isinstance(error, errors.DismissalError), error
        assert "不能重复放学交接" in error.message
        assert Dismissal.objects.filter(student=d.bus[0]).count() == 1
        winner = next(value for kind, value in results if kind == "ok")
        # The group tap is all or nothing: if it lost, 钱小雷 was not released either.
        expected = 2 if isinstance(winner, list) else 1
        assert Dismissal.objects.count() == expected
        assert DismissalDay.objects.get().released == expected
