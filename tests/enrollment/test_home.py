"""The home page panels and the navigation: what each person does next."""

import pytest
from django.urls import reverse

from enrollment.models import Application

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def test_home_panels_for_each_role(world, login, agreement):
    ApplicationFactory(student=world.other_child, term=world.term, status=Status.SUBMITTED)
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.CLASS_APPROVED)
    home = reverse("school:home")
    page = login(world.guardian.user).get(home).content.decode()
    assert "张小明" in page and "填写意向书" in page and "张小红" in page and "查看进度" in page
    assert reverse("enrollment:my") in page  # nav
    page = login(world.homeroom_teacher.user).get(home).content.decode()
    assert "待审核 1 份" in page and reverse("enrollment:review") in page
    page = login(world.coordinator).get(home).content.decode()
    assert "待复核 1 份" in page and reverse("enrollment:statistics") in page
    assert reverse("enrollment:settings") in page
    page = login(world.principal).get(home).content.decode()
    assert "参与率" in page and "待复核" not in page
    page = login(world.tutor.user).get(home).content.decode()
    assert "意向书" not in page


def test_guardian_panel_next_steps_follow_the_state(world, login, agreement):
    ApplicationFactory(student=world.child, term=world.term, status=Status.RETURNED,
                       decision_comment="请补充接送人")
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.DRAFT)
    page = login(world.guardian.user).get(reverse("school:home")).content.decode()
    assert "按意见修改" in page and "继续填写" in page
    assert "老师退回修改：请补充接送人" in page


@pytest.mark.parametrize("who,present,absent", [
    ("guardian", ["enrollment:my"], ["enrollment:review", "enrollment:statistics"]),
    ("homeroom_teacher", ["enrollment:review", "enrollment:statistics"],
     ["enrollment:my", "enrollment:settings"]),
    ("coordinator", ["enrollment:review", "enrollment:statistics", "enrollment:settings"],
     ["enrollment:my"]),
    ("principal", ["enrollment:statistics"], ["enrollment:review", "enrollment:settings"]),
])
def test_nav_links_by_role(world, login, who, present, absent):
    user = {"guardian": world.guardian.user, "homeroom_teacher": world.homeroom_teacher.user,
            "coordinator": world.coordinator, "principal": world.principal}[who]
    page = login(user).get(reverse("school:home")).content.decode()
    nav = page[page.index('id="mainNav"'):page.index("</nav>")]
    for name in present:
        assert f'href="{reverse(name)}"' in nav, name
    for name in absent:
        assert f'href="{reverse(name)}"' not in nav, name
