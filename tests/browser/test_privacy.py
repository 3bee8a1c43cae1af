"""The PIPL pieces on a phone (issue 15, "done when"): a guardian downloads the family's data
and asks for a child's deletion, the office carries it out, the guardian sees it done."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from privacy.models import DataRequest

from ..privacy.builders import OTHER, two_families
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser


def test_a_guardian_downloads_and_asks_for_deletion_and_the_office_carries_it_out(
        browser, live_server, world):
    two_families(world)

    with phone_of(browser, live_server, world.guardian.user) as page:
        page.get_by_role("button", name="展开菜单").click()
        page.get_by_role("link", name="我的个人信息").click()
        expect(page.get_by_role("heading", name="我的个人信息")).to_be_visible()
        assert fits_the_screen(page)
        with page.expect_download() as caught:
            page.get_by_role("button", name="下载我的数据").click()
        download = caught.value
        assert download.suggested_filename.startswith("我的个人信息-")
        archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
        data = json.loads(archive.read("数据.json"))
        assert [c["name"] for c in data["children"]] == ["张小明", "张小红"]
        assert OTHER not in json.dumps(data, ensure_ascii=False)
        shot(page, "privacy-01-guardian-page")

        page.get_by_label("删除申请").check()
        page.get_by_label("涉及谁的信息").select_option(label="张小明")
        page.get_by_label("申请内容").fill("张小明已转学，请删除他在课后服务中的个人信息。")
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_text("已提交删除申请")).to_be_visible()
        row = page.locator("#my-requests .list-group-item", has_text="删除申请")
        expect(row).to_contain_text("待处理")
        shot(page, "privacy-02-guardian-asked")
        assert fits_the_screen(page)
    request = DataRequest.objects.get()

    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto("/privacy/office/")
        expect(page.locator("#requests")).to_contain_text("张小明")
        shot(page, "privacy-03-office-list")
        assert fits_the_screen(page)
        page.locator("#requests a", has_text="张小明").click()
        expect(page.get_by_role("heading", name="删除申请 · 张小明")).to_be_visible()
        shot(page, "privacy-04-office-request")
        assert fits_the_screen(page)
        page.get_by_role("button", name="确认删除（匿名化）").click()
        expect(page.get_by_text("已办理完成，已通知家长。")).to_be_visible()
        expect(page.locator("h1")).to_contain_text("已办理")
        shot(page, "privacy-05-office-done")
    request.refresh_from_db()
    world.child.refresh_from_db()
    assert request.status == "done" and world.child.name == "（已删除）"

    with phone_of(browser, live_server, world.guardian.user) as page:
        page.goto("/privacy/")
        row = page.locator("#my-requests .list-group-item", has_text="删除申请")
        expect(row).to_contain_text("已办理")
        expect(row).to_contain_text("已匿名化")
        shot(page, "privacy-06-guardian-sees-it-done")
        assert fits_the_screen(page)
