"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on our machines, so this uses
``/usr/bin/chromium`` (Debian's ``chromium`` package, which .ci/run installs). Missing, the
tests skip locally and fail under CI=true. Screenshots land in ``test-artifacts/screenshots/``.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from .. import factories
from ..conftest import require_service

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests and
# fixtures make there are still plain synchronous calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def browser():
    require_service("Chromium", os.access(CHROMIUM, os.X_OK),
                    f"找不到 {CHROMIUM}（apt-get install chromium fonts-noto-cjk）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page in a phone-sized context (390×844, zh-CN) whose base URL is the live server."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> Path:
    """Save a full-page PNG of what the person sees, for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, phone: str, password: str) -> None:
    page.goto("/login/")
    page.locator("input[name=username]").fill(phone)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@contextmanager
def phone_of(browser, live_server, user):
    """``user`` signs in on their own phone (a fresh browser context); no JavaScript errors."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, user.phone, factories.DEFAULT_PASSWORD)
        expect(page.get_by_role("heading", name=f"您好，{user.name}")).to_be_visible()
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def fits_the_screen(page) -> bool:
    """No sideways scrolling: the page is no wider than the phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
