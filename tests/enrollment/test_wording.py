"""Issue 10's smaller things: what the guardian's pages say, said once and naturally."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from afterschool.demo import _schedule_text
from afterschool.workflow import SYSTEM
from enrollment import services
from enrollment.display import acted_by
from enrollment.models import Application, ApplicationTransition

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_start_page_lists_the_timetable_once(world, login):
    world.term.schedule_text = _schedule_text()  # the demo school's own text
    world.term.save()
    page = login(world.guardian.user).get(
        reverse("enrollment:start", args=[world.child.pk])).content.decode()
    assert page.count(">作息安排<") == 1
    for start in ("16:40", "17:30", "18:15"):
        assert page.count(start) == 1, start
    assert "辅导教师护送学生离校" in page


def test_the_home_page_says_unanswered_once(world, login):
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.SUBMITTED)
    page = _text(login(world.guardian.user).get(reverse("school:home")).content.decode())
    # 张小明 has no form: the badge says so, and no sentence repeats it.
    assert "未填写" in page and "尚未填写" not in page
    assert "等待班主任审核" in page  # the sibling's form still has its sentence


def test_history_reads_naturally(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                             signed=agreement)
    services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                    actor=actors["homeroom_teacher"])
    by_teacher = ApplicationTransition.objects.get(application=app)
    assert acted_by(by_teacher) == f"{world.homeroom_teacher.user.name}（班主任）"
    # A family without an account (a seeded or paper answer) is "家长", never "系统（家长）".
    no_account = ApplicationTransition(application=app, from_status=Status.DRAFT,
                                       to_status=Status.SUBMITTED, actor=None,
                                       actor_role="guardian")
    assert acted_by(no_account) == "家长"
    system = ApplicationTransition(application=app, from_status=Status.SCHOOL_APPROVED,
                                   to_status=Status.PLACED, actor=None, actor_role=SYSTEM)
    assert acted_by(system) == "系统"


def test_the_detail_page_history_has_no_system_guardian(world, login, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                             signed=agreement)
    ApplicationTransition.objects.create(application=app, from_status=Status.DRAFT,
                                         to_status=Status.SUBMITTED, actor=None,
                                         actor_role="guardian", at=timezone.now())
    page = login(world.guardian.user).get(
        reverse("enrollment:detail", args=[app.pk])).content.decode()
    assert "系统（" not in page and "· 家长" in page


def test_the_form_promises_no_pictures(world, login, courses):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.DRAFT)
    page = login(world.guardian.user).get(
        reverse("enrollment:edit", args=[app.pk])).content.decode()
    assert "查看课程目录" in page and "图片" not in page


def test_dates_before_qi_have_no_stray_space(world):
    from django.template.loader import render_to_string

    world.term.start_date = world.term.start_date.replace(year=2026, month=9, day=9)
    html = render_to_string("afterschool/letters_print.html", {
        "term": world.term, "homeroom": world.homeroom,
        "letters": [{"guardian": world.guardian, "students": [world.child]}]},
        request=RequestFactory().get("/"))
    assert "2026年9月9日起" in html and "日 起" not in html
    assert "退出自{withdrawn_on}起生效" in services.NOTICE_TEXT[Status.WITHDRAWN][1]
