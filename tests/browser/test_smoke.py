"""A guardian and a coordinator use the site on a phone, in a real browser."""

import pytest
from playwright.sync_api import expect

from .. import factories
from .conftest import fits_the_screen, shot, sign_in

pytestmark = pytest.mark.browser


def test_login_page_fits_a_phone(phone_page):
    page = phone_page
    page.goto("/login/")
    expect(page.get_by_role("heading", name="登录课后服务系统")).to_be_visible()
    expect(page.get_by_role("link", name="激活账号")).to_be_visible()
    # The stylesheet was served and applied: Bootstrap's primary navbar is blue.
    color = page.evaluate("getComputedStyle(document.querySelector('nav')).backgroundColor")
    assert color != "rgba(0, 0, 0, 0)", color
    assert fits_the_screen(page)
    shot(page, "login")


def test_guardian_signs_in_on_a_phone_and_sees_home(phone_page, world):
    page = phone_page
    sign_in(page, world.guardian.phone, factories.DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", name=f"您好，{world.guardian.name}")).to_be_visible()
    expect(page.locator("main").get_by_text(world.school.name)).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "guardian-home")

    # The menu folds into the toggler on a phone and opens on a tap.
    page.get_by_role("button", name="展开菜单").tap()
    expect(page.locator("#mainNav.collapse.show")).to_be_visible()  # opened, not mid-slide
    expect(page.get_by_role("button", name="退出登录")).to_be_hidden()
    page.get_by_role("button", name=world.guardian.name).tap()
    logout = page.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    expect(logout).to_be_in_viewport()
    shot(page, "guardian-menu")
    page.get_by_role("button", name="退出登录").tap()
    expect(page.get_by_role("heading", name="登录课后服务系统")).to_be_visible()


def test_wrong_password_shows_the_chinese_error(phone_page, world):
    page = phone_page
    sign_in(page, world.guardian.phone, "wrong-password")
    expect(page.get_by_text("手机号或密码不正确")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "login-wrong-password")


def test_coordinator_opens_homerooms_and_printable_letters(phone_page, world):
    page = phone_page
    coordinator = world.coordinator
    sign_in(page, coordinator.phone, factories.DEFAULT_PASSWORD)
    page.get_by_role("link", name="班级与家长信").tap()
    expect(page.get_by_role("heading", name="班级", exact=True)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"{world.homeroom.grade.name}1班")
    expect(row).to_be_visible()
    expect(row.get_by_text(world.homeroom_teacher.name)).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "coordinator-homerooms")

    # A family that has not signed up yet: its code appears only on the printed letter.
    waiting = factories.GuardianFactory(school=world.school, name="陈芳", user=None, activated_at=None)
    child = factories.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    factories.link_guardian(child, waiting)
    row.get_by_role("link", name="家长信").tap()
    expect(page.get_by_role("heading", name="《致家长的一封信》· 七年级1班")).to_be_visible()
    expect(page.get_by_text("陈小雨")).to_be_visible()
    expect(page.get_by_text(waiting.activation_code)).to_have_count(0)
    assert fits_the_screen(page)
    shot(page, "coordinator-letters-list")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="打印 1 封未打印的家长信").tap()
    letters = page.locator("article.letter")
    expect(letters).to_have_count(1)  # the families with a login get no code
    first = letters.first
    expect(first.get_by_text("致家长的一封信").first).to_be_visible()
    expect(first.get_by_text(waiting.activation_code)).to_be_visible()
    expect(page.get_by_text(world.guardian.activation_code)).to_have_count(0)
    expect(first.get_by_text("16:40–17:20")).to_be_visible()
    expect(page.get_by_role("button", name="打印", exact=True)).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "coordinator-letters")
