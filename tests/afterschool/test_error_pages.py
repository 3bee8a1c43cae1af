"""Error pages: Chinese, in the site's layout, with the reason the code gave and a way back;
a refused request is one line in the server log."""

import io
import logging

import pytest
from django.test import RequestFactory
from django.urls import reverse

from afterschool import errors


@pytest.fixture
def django_console():
    """The console handler of the "django" logger, writing into a string for the test."""
    handler = next(h for h in logging.getLogger("django").handlers
                   if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield buffer
    handler.setStream(old)


def test_403_says_the_reason_in_the_layout(world, login):
    client = login(world.guardian.user)
    response = client.get(reverse("enrollment:review"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "您没有权限访问此页面。" in html          # what ActorMixin raised
    assert 'class="navbar' in html and "首页" in html   # the site's layout, with its menu
    assert reverse("school:home") in html and "返回首页" in html


def test_404_keeps_a_chinese_reason_and_hides_django_english(world, login):
    client = login(world.coordinator)
    response = client.get("/homerooms/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到您要的页面或记录" in html and "返回首页" in html
    assert "matches the given query" not in html


def test_reason_of_only_passes_chinese_sentences():
    assert errors.reason_of(Exception("找不到该学期。")) == "找不到该学期。"
    assert errors.reason_of(Exception("No Student matches the given query.")) == ""
    assert errors.reason_of(None) == ""


def test_anonymous_404_offers_the_login_page(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "前往登录" in response.content.decode()


def test_500_renders_the_layout_without_a_request_context(db):
    response = errors.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in html and "bootstrap.min" in html and 'href="/"' in html


def test_403_is_one_line_in_the_log(world, login, django_console):
    client = login(world.guardian.user)
    client.get(reverse("school:home"))     # the login's own log lines come before
    django_console.seek(0)
    django_console.truncate()
    assert client.get(reverse("enrollment:review")).status_code == 403
    lines = [line for line in django_console.getvalue().splitlines() if line.strip()]
    assert lines == ["Forbidden (Permission denied): /enrollment/review/"]


def test_district_home_says_what_it_can_do_and_links_nowhere_forbidden(world, login):
    client = login(world.district_officer)
    html = client.get(reverse("school:home")).content.decode()
    assert "教育局账号" in html and world.school.name in html
    assert "只向学校的工作人员开放" in html
    # Every link on the page answers, none with 403.
    import re
    for href in set(re.findall(r'href="(/[^"#]*)"', html)):
        if href.startswith("/static/"):
            continue
        assert client.get(href).status_code != 403, href
