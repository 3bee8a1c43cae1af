"""Two guardians of the same child submitting the survey at the same moment, for real: threads
with their own PostgreSQL connections released together by a barrier. One answer is stored;
the other parent is told another answer just came in, and nothing of theirs is written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from afterschool.access import actor_for
from surveys import exceptions as e
from surveys import services
from surveys.models import Respondent, SurveyAnswer, SurveyResponse
from tests import factories as f
from tests.conftest import require_service

from .builders import answers, survey_world

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


def test_mother_and_father_answering_at_once_store_one_answer(world):
    require_service("PostgreSQL", connection.vendor == "postgresql",
                    "设置 DATABASE_URL=postgres://…")
    sw = survey_world(world)
    father = f.GuardianFactory(school=world.school, name="张父")
    f.link_guardian(world.child, father, relation="父亲", is_primary=False)
    mother = actor_for(world.guardian.user, world.school)
    dad = actor_for(father.user, world.school)
    for _ in range(3):
        SurveyResponse.objects.all().delete()
        results = run_at_once(
            lambda: services.response_submit(actor=mother, survey=sw.survey, student=world.child,
                                             answers=answers(sw.survey, 5)),
            lambda: services.response_submit(actor=dad, survey=sw.survey, student=world.child,
                                             answers=answers(sw.survey, 2)),
        )
        outcomes = sorted(kind for kind, _ in results)
        assert outcomes == ["error", "ok"], results
        (error,) = [value for kind, value in results if kind == "error"]
        assert isinstance(error, e.SurveyError) and "另一位家长刚刚为张小明提交了答卷" in error.message
        assert SurveyResponse.objects.count() == Respondent.objects.count() == 1
        (winner,) = [value for kind, value in results if kind == "ok"]
        scales = set(SurveyAnswer.objects.exclude(scale=None).values_list("scale", flat=True))
        assert len(scales) == 1 and winner.pk == SurveyResponse.objects.get().pk
