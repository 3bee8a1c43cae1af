"""The PIPL pieces on a phone (issue 15, "done when"): consent on the intention form (refused
without it, recorded with it), the homeroom teacher's look at the form in the principal's 访问记录
and on the family's 谁查看了孩子的信息; a guardian downloads the family's data and asks for a
child's deletion, the office carries it out, the guardian sees it done."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from afterschool.models import SensitiveAccess
from enrollment import exceptions as enrollment_errors
from enrollment.models import Application, PrivacyConsent
from privacy.models import DataRequest

from ..privacy.builders import OTHER, two_families
from .conftest import fits_the_screen, phone_of, shot
from .test_enrollment_flow import (  # noqa: F401 (term_ready is a fixture)
    fill_participating_form,
    open_the_form,
    teacher_opens_from_queue,
    term_ready,
)


def test_consent_on_the_form_and_the_principals_access_log(browser, live_server,
                                                         term_ready):  # noqa: F811
    world = term_ready
    child = world.child
    PrivacyConsent.objects.filter(student=child).delete()   # a family that has not consented

    with phone_of(browser, live_server, world.guardian.user) as page:
        open_the_form(page, world)
        fill_participating_form(page, world)
        expect(page.locator("#privacy-part")).to_contain_text("个人信息保护")
        page.get_by_role("textbox", name="健康情况").fill("轻度哮喘，剧烈运动后需休息")
        page.get_by_role("checkbox", name="我已阅读并同意《课后服务协议》和《安全责任书》").check()
        page.get_by_label(f"签名（请输入您的姓名：{world.guardian.name}）").fill(world.guardian.name)
        page.get_by_role("button", name="签名并提交").tap()
        # Refused, with the consent named: nothing submitted, nothing consented.
        expect(page.get_by_text(enrollment_errors.CONSENT_REQUIRED).first).to_be_visible()
        assert Application.objects.get(student=child).status == "draft"
        shot(page, "privacy-10-form-refused-without-consent")
        assert fits_the_screen(page)
        page.get_by_role("checkbox", name="我已阅读《个人信息保护告知书》").check()
        page.get_by_role("checkbox", name="我单独同意学校处理孩子的健康情况和过敏史").check()
        agree = page.get_by_role("checkbox", name="我已阅读并同意《课后服务协议》和《安全责任书》")
        if not agree.is_checked():
            agree.check()
        page.get_by_label(f"签名（请输入您的姓名：{world.guardian.name}）").fill(world.guardian.name)
        shot(page, "privacy-11-form-consented")
        page.get_by_role("button", name="签名并提交").tap()
        expect(page.get_by_text("意向书已提交，等待班主任审核。")).to_be_visible()
    application = Application.objects.get(student=child)
    assert application.status == "submitted"
    assert application.health_notes == "轻度哮喘，剧烈运动后需休息"
    assert set(PrivacyConsent.objects.filter(student=child, withdrawn_at__isnull=True)
               .values_list("kind", flat=True)) == {"personal", "sensitive"}

    # The homeroom teacher reads the form (health notes, pickup persons): logged.
    with phone_of(browser, live_server, world.homeroom_teacher.user) as page:
        teacher_opens_from_queue(page, world, shots="privacy-12-teacher")
    assert SensitiveAccess.objects.filter(student=child, user=world.homeroom_teacher.user).exists()

    with phone_of(browser, live_server, world.principal) as page:
        page.get_by_role("button", name="展开菜单").click()
        expect(page.locator("#mainNav")).to_have_class(re.compile(r"\bshow\b"))
        page.get_by_role("button", name="学校").click()
        page.get_by_role("link", name="访问记录").click()
        expect(page.get_by_role("heading", name="访问记录")).to_be_visible()
        entry = page.locator(".list-group-item", has_text=child.name).first
        expect(entry).to_contain_text(world.homeroom_teacher.name)
        expect(entry).to_contain_text("健康情况与过敏史")
        shot(page, "privacy-13-principal-access-log")
        assert fits_the_screen(page)

    with phone_of(browser, live_server, world.guardian.user) as page:
        page.goto("/privacy/")
        page.locator("#children .list-group-item", has_text=child.name).get_by_role(
            "link", name="谁查看了孩子的信息").click()
        expect(page.get_by_text("班主任").first).to_be_visible()
        shot(page, "privacy-14-guardian-who-looked")
        assert fits_the_screen(page)

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
