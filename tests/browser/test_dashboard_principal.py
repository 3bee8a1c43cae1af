"""The principal's dashboard on a phone and a desktop, with the drill-down from grade to
homeroom to a child (issue 14, "done when")."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from dashboards import aggregates
from dashboards.models import MonthlySchoolStat

from .. import factories as f
from ..dashboards.conftest import NOVEMBER, month  # noqa: F401 (the fixture)
from .conftest import fits_the_screen, phone_of, shot, sign_in

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def test_the_principal_reads_the_month_and_drills_down(browser, live_server, world, month):  # noqa: F811
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    rate = round(100 * (stat.present + stat.late) / stat.expected, 1)

    with phone_of(browser, live_server, world.principal) as page:
        page.goto("/dashboards/?month=2024-11")
        expect(page.locator('[data-figure="attendance"]')).to_have_text(f"{rate}%")
        page.wait_for_function(
            "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.dataset.drawn)")
        assert fits_the_screen(page)
        shot(page, "dashboard-01-principal-phone")
        page.get_by_role("link", name="七年级", exact=True).click()
        expect(page.get_by_role("heading", name="七年级")).to_be_visible()
        shot(page, "dashboard-02-grade-phone")
        page.get_by_role("link", name="七年级1班").click()
        expect(page.get_by_role("heading", name="七年级1班")).to_be_visible()
        expect(page.get_by_role("link", name=world.child.name)).to_be_visible()
        shot(page, "dashboard-03-homeroom-phone")
        assert fits_the_screen(page)
        # The month selector goes back a month; October has no lessons in this school.
        page.goto("/dashboards/?month=2024-11")
        page.get_by_role("link", name="上个月").click()
        expect(page.get_by_text("2024年10月还没有统计数据")).to_be_visible()

    context = browser.new_context(base_url=live_server.url, **DESKTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, world.principal.phone, f.DEFAULT_PASSWORD)
    page.goto("/dashboards/?month=2024-11")
    expect(page.locator('[data-figure="attendance"]')).to_have_text(f"{rate}%")
    page.wait_for_function(
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.dataset.drawn)")
    shot(page, "dashboard-04-principal-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith("2024-11.xlsx")
    context.close()
    assert not errors, errors
