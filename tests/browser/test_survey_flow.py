"""A guardian answers the satisfaction survey on a phone; the office reads the results on a
desktop and a phone (issue 14, "done when")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveys.models import SurveyResponse
from surveys.selectors import survey_results

from .. import factories as f
from ..surveys.builders import answer_as, attended, family, survey_world
from .conftest import CHROMIUM_ARGS, PHONE, fits_the_screen, phone_of, shot, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def test_a_guardian_answers_and_the_office_reads_the_results(browser, live_server, world):
    sw = survey_world(world)
    for i, scale in enumerate([5, 5, 4, 4, 3, 5]):
        child, guardian = family(world.school, world.homeroom, f"同学{i}")
        attended(world.term, [child], tutors=[world.tutor])
        answer_as(guardian, sw.survey, child, scale, text="希望多开体育社团" if i == 2 else "")

    with phone_of(browser, live_server, world.guardian.user) as page:
        panel = page.locator("#survey-panel")
        expect(panel).to_contain_text("张小明")
        shot(page, "survey-01-guardian-home")
        panel.get_by_role("link", name="去填写").first.click()
        expect(page.get_by_role("heading", name="本学期满意度调查")).to_be_visible()
        assert fits_the_screen(page)
        # Submitting with nothing chosen names the first question and keeps the page.
        page.get_by_role("button", name="提交答卷").click()
        expect(page.get_by_role("alert")).to_contain_text("请回答第 1 题")
        for fieldset in page.locator("fieldset").all():
            options = fieldset.locator("label.btn")
            if options.count():
                options.first.click()
        page.get_by_label("您对课后服务还有哪些意见和建议？").fill("老师很负责，谢谢！")
        shot(page, "survey-02-guardian-answer")
        page.get_by_role("button", name="提交答卷").click()
        expect(page.get_by_text("已提交张小明的答卷")).to_be_visible()
        row = page.locator(".list-group-item", has_text="张小明")
        expect(row.get_by_role("link", name="修改答卷")).to_be_visible()
        shot(page, "survey-03-guardian-done")
        assert fits_the_screen(page)
    assert SurveyResponse.objects.count() == 7

    context = browser.new_context(base_url=live_server.url, **DESKTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, world.coordinator.phone, f.DEFAULT_PASSWORD)
    page.goto(f"/surveys/{sw.survey.pk}/results/")
    expected = survey_results(sw.survey).rate
    expect(page.locator("[data-rate]")).to_have_text(f"{expected}%")
    page.wait_for_function("document.querySelector('canvas[data-chart]').dataset.drawn")
    shot(page, "survey-04-results-desktop")
    page.get_by_role("tab", name="按辅导教师").click()
    expect(page.locator("#cut-tutor")).to_contain_text("赵老师")
    page.get_by_role("tab", name="按班级").click()
    page.locator("#cut-homeroom").get_by_role("link", name="七年级1班").click()
    expect(page.get_by_role("heading", name="班级：七年级1班")).to_be_visible()
    shot(page, "survey-05-results-homeroom")
    context.close()
    assert not errors, errors

    with phone_of(browser, live_server, world.principal) as page:
        page.goto(f"/surveys/{sw.survey.pk}/results/")
        expect(page.locator("[data-rate]")).to_have_text(f"{expected}%")
        page.wait_for_function("document.querySelector('canvas[data-chart]').dataset.drawn")
        shot(page, "survey-06-results-phone")
        assert fits_the_screen(page)
