"""The pages: the guardian's 我的个人信息 (ask, withdraw, see the status), the office's list and
one request (carry out, refuse), the retention setting; who may open each; query counts."""

import pytest
from django.urls import reverse

from privacy import exceptions as e
from privacy.models import DataRequest, RetentionPolicy
from tests import factories as f

from .builders import guardian_actor

pytestmark = pytest.mark.django_db
MINE = reverse("privacy:mine")
OFFICE = reverse("privacy:office")
RETENTION = reverse("privacy:retention")


def make_request(world, guardian=None, student=None, kind="deletion", text="请删除孩子的信息"):
    from privacy import services

    return services.data_request_create(actor=guardian_actor(world, guardian), kind=kind,
                                        text=text, student=student or world.child)


@pytest.mark.parametrize("url", [MINE, OFFICE])
def test_anonymous_is_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_guardian_page_is_for_guardians(world, login, client):
    for user in (world.coordinator, world.principal, world.tutor.user):
        login(user)
        assert client.get(MINE).status_code == 403
    login(world.guardian.user)
    page = client.get(MINE).content.decode()
    assert "下载我的数据" in page and "张小明" in page and "张小红" in page
    assert "李华" not in page


def test_a_guardian_asks_sees_the_status_and_withdraws(world, login, client):
    login(world.guardian.user)
    response = client.post(MINE, {"kind": "correction", "subject": str(world.sibling.pk),
                                  "text": "张小红的过敏史应为芒果过敏"})
    assert response.status_code == 302
    request = DataRequest.objects.get()
    assert (request.kind, request.student, request.status) == ("correction", world.sibling,
                                                               "pending")
    page = client.get(MINE).content.decode()
    assert "更正申请" in page and "待处理" in page and "张小红的过敏史应为芒果过敏" in page
    assert client.post(reverse("privacy:withdraw", args=[request.pk])).status_code == 302
    request.refresh_from_db()
    assert request.status == "withdrawn"
    page = client.get(MINE).content.decode()
    assert "已撤回" in page and "（家长）" in page


def test_bad_input_is_named(world, login, client):
    login(world.guardian.user)
    response = client.post(MINE, {"kind": "deletion", "subject": "self", "text": "删除"})
    assert response.status_code == 400
    assert e.DELETION_NEEDS_CHILD in response.content.decode()
    response = client.post(MINE, {"kind": "deletion", "subject": str(world.other_child.pk),
                                  "text": "删除"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    response = client.post(MINE, {"kind": "correction", "subject": "self", "text": ""})
    assert response.status_code == 400 and "请在“申请内容”中写明" in response.content.decode()
    assert not DataRequest.objects.exists()


def test_another_family_cannot_withdraw_it(world, login, client):
    request = make_request(world)
    login(world.other_guardian.user)
    assert client.post(reverse("privacy:withdraw", args=[request.pk])).status_code == 404
    assert DataRequest.objects.get().status == "pending"


def test_the_office_list_is_for_the_office_and_the_principal(world, login, client,
                                                             django_assert_max_num_queries):
    make_request(world)
    make_request(world, guardian=world.other_guardian, student=world.other_child,
                 kind="correction", text="姓名写错了")
    for user in (world.guardian.user, world.tutor.user, world.homeroom_teacher.user):
        login(user)
        assert client.get(OFFICE).status_code == 403
    login(world.principal)
    page = client.get(OFFICE).content.decode()
    assert "删除申请" in page and "更正申请" in page and "李强" in page
    assert 'name="retention_days"' not in page and "365" in page
    login(world.coordinator)
    with django_assert_max_num_queries(12) as few:
        client.get(OFFICE)
    for i in range(6):
        child = f.StudentFactory(school=world.school, homeroom=world.homeroom, name=f"孩子{i}")
        guardian = f.GuardianFactory(school=world.school)
        f.link_guardian(child, guardian)
        make_request(world, guardian=guardian, student=child)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(OFFICE).content.decode()
    assert page.count("list-group-item-action") == 8
    assert client.get(OFFICE, {"status": "done"}).content.decode().count(
        "list-group-item-action") == 0
    login(world.foreign_coordinator)
    assert "李强" not in client.get(OFFICE).content.decode()


def test_the_office_carries_out_a_deletion(world, login, client):
    request = make_request(world)
    url = reverse("privacy:office_detail", args=[request.pk])
    login(world.guardian.user)
    assert client.get(url).status_code == 403
    login(world.foreign_coordinator)
    assert client.get(url).status_code == 404
    login(world.principal)
    assert "确认删除" not in client.get(url).content.decode()
    assert client.post(url, {"action": "carry_out"}).status_code == 404
    login(world.coordinator)
    page = client.get(url).content.decode()
    assert "确认删除（匿名化）" in page and "请删除孩子的信息" in page
    assert client.post(url, {"action": "carry_out", "comment": ""}).status_code == 302
    request.refresh_from_db()
    world.child.refresh_from_db()
    assert request.status == "done" and world.child.name == "（已删除）"
    page = client.get(url).content.decode()
    assert "已办理" in page and "已匿名化" in page and "确认删除" not in page
    # The guardian (who has another child) sees the status and the history.
    login(world.guardian.user)
    page = client.get(MINE).content.decode()
    assert "已办理" in page and "（课后服务办公室）" in page
    # Nothing more to ask about the erased child.
    assert f'<option value="{world.child.pk}"' not in page
    assert f'<option value="{world.sibling.pk}"' in page


def test_the_office_refuses_with_a_reason_or_is_told_what_is_missing(world, login, client):
    request = make_request(world, kind="correction", text="名字错了")
    url = reverse("privacy:office_detail", args=[request.pk])
    login(world.coordinator)
    response = client.post(url, {"action": "refuse", "comment": ""})
    assert response.status_code == 400 and "请选择不予办理的法定理由" in response.content.decode()
    response = client.post(url, {"action": "refuse", "legal_reason": "other", "comment": ""})
    assert response.status_code == 400
    assert e.OTHER_REASON_NEEDS_TEXT in response.content.decode()
    response = client.post(url, {"action": "carry_out", "comment": ""})
    assert response.status_code == 400 and e.OUTCOME_REQUIRED in response.content.decode()
    assert client.post(url, {"action": "refuse", "legal_reason": "identity",
                             "comment": "电话核实未通过"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.legal_reason) == ("refused", "identity")
    login(world.guardian.user)
    page = client.get(MINE).content.decode()
    assert "不予办理" in page and "无法核实申请人是该学生的监护人" in page and "电话核实未通过" in page


def test_the_retention_setting_is_the_offices(world, login, client):
    login(world.principal)
    assert client.post(RETENTION, {"retention_days": "400"}).status_code == 403
    login(world.coordinator)
    response = client.post(RETENTION, {"retention_days": "5"})
    assert response.status_code == 400 and "保存期限至少 30 天。" in response.content.decode()
    response = client.post(RETENTION, {"retention_days": "abc"})
    assert response.status_code == 400 and "保存天数须是整数。" in response.content.decode()
    assert not RetentionPolicy.objects.exists()
    assert client.post(RETENTION, {"retention_days": "400"}).status_code == 302
    policy = RetentionPolicy.objects.get(school=world.school)
    assert (policy.retention_days, policy.updated_by) == (400, world.coordinator)
    assert 'value="400"' in client.get(OFFICE).content.decode()
