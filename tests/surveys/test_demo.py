"""The demo step: a published survey with answers, nothing added the second time, the demo
family left to answer."""

from __future__ import annotations

import pytest

from afterschool import demo as core_demo
from afterschool.models import Role
from surveys.demo import surveys_demo
from surveys.models import Respondent, Survey, SurveyAnswer, SurveyResponse
from surveys.selectors import survey_results
from tests import factories as f

from .builders import attended, family

pytestmark = pytest.mark.django_db


def test_the_demo_step_publishes_answers_and_is_idempotent(world):
    office = f.UserFactory(phone=core_demo.COORDINATOR.phone, name="演示主任")
    f.grant(office, Role.COORDINATOR, world.school)
    children = [family(world.school, world.homeroom, f"演示{i}")[0] for i in range(40)]
    demo_child, _ = family(world.school, world.homeroom, "演示家长的孩子",
                           phone=core_demo.GUARDIAN.phone)
    attended(world.term, children + [demo_child], tutors=[world.tutor])
    surveys_demo({"school": world.school})
    survey = Survey.objects.get()
    assert survey.status == "open" and survey.invited == 41
    counts = (SurveyResponse.objects.count(), Respondent.objects.count(),
              SurveyAnswer.objects.count())
    assert 20 <= counts[0] <= 40
    surveys_demo({"school": world.school})
    assert (SurveyResponse.objects.count(), Respondent.objects.count(),
            SurveyAnswer.objects.count()) == counts
    results = survey_results(survey)
    assert results.shown and results.rate is not None and results.rate > 70
    from surveys.family import own_response

    assert own_response(survey, demo_child) is None
