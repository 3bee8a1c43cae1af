"""On the demo (seed_demo): the bureau compares the demo district's schools on a desktop and a
phone and opens one school's page; the office reads the capacity planner from the demo's
forms (issue 14, "done when")."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from afterschool import demo
from afterschool.models import School
from dashboards.models import MonthlySchoolStat

from .conftest import PHONE, fits_the_screen, shot, sign_in

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def _page(browser, live_server, options, phone):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, phone, demo.DEMO_PASSWORD)
    return context, page, errors


def drawn(page):
    page.wait_for_function(
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.dataset.drawn)")


def test_the_bureau_compares_the_demo_district_and_the_office_plans(browser, live_server):
    call_command("seed_demo", verbosity=0)
    schools = School.objects.filter(district=demo.DISTRICT)
    assert schools.count() == 5
    month = MonthlySchoolStat.objects.filter(school__in=schools).order_by("-month").first().month
    query = f"?month={month:%Y-%m}"

    context, page, errors = _page(browser, live_server, DESKTOP, demo.DISTRICT_OFFICER.phone)
    page.goto("/")
    page.get_by_role("link", name="各校课后服务对比").click()
    table = page.locator("[data-comparison]")
    for school in schools:
        expect(table).to_contain_text(school.name)
    drawn(page)
    shot(page, "dashboard-05-bureau-desktop")
    page.goto(f"/dashboards/district/{query}")
    table.get_by_role("link", name="出勤率").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("出勤率")
    table.get_by_role("link", name=demo.MAIN.name).click()
    expect(page.get_by_role("heading", name=demo.MAIN.name)).to_be_visible()
    drawn(page)
    shot(page, "dashboard-06-bureau-school")
    context.close()
    assert not errors, errors

    context, page, errors = _page(browser, live_server, PHONE, demo.DISTRICT_OFFICER.phone)
    page.goto(f"/dashboards/district/{query}")
    drawn(page)
    assert fits_the_screen(page)
    shot(page, "dashboard-07-bureau-phone")
    context.close()
    assert not errors, errors

    context, page, errors = _page(browser, live_server, PHONE, demo.COORDINATOR.phone)
    page.goto("/dashboards/capacity/")
    expect(page.locator("[data-forms]")).not_to_have_text("0")
    expect(page.locator("[data-suggestions]")).to_contain_text("第一志愿")
    drawn(page)
    assert fits_the_screen(page)
    shot(page, "dashboard-08-capacity-phone")
    context.close()
    assert not errors, errors

    context, page, errors = _page(browser, live_server, DESKTOP, demo.COORDINATOR.phone)
    page.goto("/dashboards/capacity/")
    drawn(page)
    shot(page, "dashboard-09-capacity-desktop")
    page.goto("/")
    expect(page.get_by_text("容量预估（意向书征集中）")).to_be_visible()
    context.close()
    assert not errors, errors
