"""Issue 15, consent pages: anonymous → login, wrong role → 403/404, happy path changes the DB."""

import pytest
from django.urls import reverse

from enrollment import exceptions, selectors
from enrollment.models import Application, PrivacyConsent, PrivacyNotice
from tests import factories as core

from .factories import AgreementFactory, ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
Kind = PrivacyConsent.Kind


def _urls(world):
    return [reverse("enrollment:privacy_notice"), reverse("enrollment:privacy_notice_publish"),
            reverse("enrollment:privacy_child", args=[world.child.pk]),
            reverse("enrollment:privacy_withdraw", args=[world.child.pk, "personal"])]


def test_every_page_asks_anonymous_visitors_to_log_in(client, world):
    for url in _urls(world):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("login")), url
        assert client.post(url)["Location"].startswith(reverse("login")), url


def test_the_notice_is_readable_by_anyone_signed_in_at_the_school(world, login):
    for user in (world.guardian.user, world.homeroom_teacher.user, world.principal):
        page = login(user).get(reverse("enrollment:privacy_notice")).content.decode()
        assert "个人信息保护告知书正文" in page and "敏感个人信息部分" in page, user
        assert "发布新版本" not in page
    page = login(world.coordinator).get(reverse("enrollment:privacy_notice")).content.decode()
    assert "发布新版本" in page


def test_the_guardian_reads_an_older_version_on_asking(world, login):
    PrivacyNotice.objects.create(school=world.school, version=2, text="第二版正文",
                                 sensitive_text="第二版敏感部分")
    client = login(world.guardian.user)
    assert "第二版正文" in client.get(reverse("enrollment:privacy_notice")).content.decode()
    old = client.get(reverse("enrollment:privacy_notice") + "?version=1").content.decode()
    assert "个人信息保护告知书正文" in old and "这是旧版本" in old
    assert client.get(reverse("enrollment:privacy_notice") + "?version=9").status_code == 404


@pytest.mark.parametrize("who", ["guardian", "homeroom_teacher", "principal"])
def test_only_the_office_publishes(world, login, who):
    user = {"guardian": world.guardian.user, "homeroom_teacher": world.homeroom_teacher.user,
            "principal": world.principal}[who]
    client = login(user)
    url = reverse("enrollment:privacy_notice_publish")
    assert client.get(url).status_code == 403
    assert client.post(url, {"text": "新", "sensitive_text": "新"}).status_code == 403
    assert PrivacyNotice.objects.filter(school=world.school).count() == 1


def test_the_office_publishes_a_new_version(world, login):
    client = login(world.coordinator)
    url = reverse("enrollment:privacy_notice_publish")
    form = client.get(url).content.decode()
    assert "个人信息保护告知书正文" in form  # starts from the current text
    response = client.post(url, {"text": "第二版：我们收集……", "sensitive_text": "健康情况……"})
    assert response.status_code == 302
    notice = selectors.current_notice(world.school)
    assert (notice.version, notice.text, notice.published_by) == (2, "第二版：我们收集……",
                                                                   world.coordinator)
    refused = client.post(url, {"text": "", "sensitive_text": "健康情况……"})
    assert refused.status_code == 200 and selectors.current_notice(world.school).version == 2


def test_a_school_without_a_notice_starts_from_the_plain_chinese_text(db, login):
    school = core.SchoolFactory(code="fresh")
    office = core.StaffFactory(school=school, name="新主任")
    core.grant(office.user, "coordinator", school)
    page = login(office.user).get(reverse("enrollment:privacy_notice_publish")).content.decode()
    for heading in ("我们收集哪些信息", "为什么收集", "谁能看到", "保存多久", "您的权利"):
        assert heading in page
    assert school.name in page


# ---------------------------------------------------------------------------- a child's page

def test_the_consent_page_is_the_guardians_of_that_child_only(world, login):
    url = reverse("enrollment:privacy_child", args=[world.child.pk])
    assert login(world.other_guardian.user).get(url).status_code == 404
    assert login(world.coordinator).get(url).status_code == 403
    assert login(world.homeroom_teacher.user).get(url).status_code == 403
    foreign = reverse("enrollment:privacy_child", args=[world.foreign_student.pk])
    assert login(world.guardian.user).get(foreign).status_code == 404
    page = login(world.guardian.user).get(url).content.decode()
    assert world.child.name in page and "已同意第1版" in page and "已单独同意第1版" in page
    assert world.other_child.name not in page


def test_a_guardian_consents_on_the_childs_page(world, login):
    student = core.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    core.link_guardian(student, world.guardian)
    client = login(world.guardian.user)
    url = reverse("enrollment:privacy_child", args=[student.pk])
    assert "未同意（参加课后服务须同意）" in client.get(url).content.decode()
    nothing = client.post(url, {})
    assert nothing.status_code == 200 and "请勾选要同意的事项" in nothing.content.decode()
    only_sensitive = client.post(url, {"consent_sensitive": "on"})
    assert exceptions.SENSITIVE_NEEDS_PERSONAL in only_sensitive.content.decode()
    assert client.post(url, {"consent_personal": "on", "consent_sensitive": "on"}).status_code \
        == 302
    assert set(PrivacyConsent.objects.filter(student=student).values_list(
        "kind", "ip_address")) == {(Kind.PERSONAL, "127.0.0.1"), (Kind.SENSITIVE, "127.0.0.1")}


def test_the_consent_page_costs_the_same_queries_for_a_long_history(world, login,
                                                                    django_assert_max_num_queries):
    client = login(world.guardian.user)
    url = reverse("enrollment:privacy_child", args=[world.child.pk])
    client.get(url)
    notice = selectors.current_notice(world.school)
    for n in range(12):
        PrivacyConsent.objects.filter(student=world.child, withdrawn_at__isnull=True).update(
            withdrawn_at="2030-01-01T00:00:00Z", withdraw_reason=f"第{n}次")
        PrivacyConsent.objects.create(student=world.child, notice=notice, kind=Kind.PERSONAL,
                                      guardian=world.guardian, given_by=world.guardian.user)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert page.count("撤回：第") == 13


# ---------------------------------------------------------------------------- withdrawal

def test_the_withdrawal_page_explains_the_consequence_first(world, login):
    ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                       allergies="花生")
    client = login(world.guardian.user)
    personal = client.get(reverse("enrollment:privacy_withdraw",
                                  args=[world.child.pk, "personal"])).content.decode()
    assert "将不再参加课后服务" in personal and world.term.name in personal
    assert "立即清空" in personal or "会立即清空" in personal
    sensitive = client.get(reverse("enrollment:privacy_withdraw",
                                   args=[world.child.pk, "sensitive"])).content.decode()
    assert "立即清空" in sensitive and "仍然可以正常参加课后服务" in sensitive
    assert client.get(reverse("enrollment:privacy_withdraw",
                              args=[world.child.pk, "everything"])).status_code == 404


def test_withdrawal_is_refused_to_other_families_and_staff(world, login):
    url = reverse("enrollment:privacy_withdraw", args=[world.child.pk, "personal"])
    assert login(world.other_guardian.user).post(url, {"reason": "x", "confirm": "on"}) \
        .status_code == 404
    assert login(world.coordinator).post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert not PrivacyConsent.objects.filter(withdrawn_at__isnull=False).exists()


def test_withdrawing_needs_the_confirmation_and_a_reason(world, login):
    client = login(world.guardian.user)
    url = reverse("enrollment:privacy_withdraw", args=[world.child.pk, "sensitive"])
    page = client.post(url, {"reason": "", "confirm": ""}).content.decode()
    assert exceptions.CONSENT_WITHDRAW_REASON_REQUIRED in page and "请勾选确认" in page
    assert not PrivacyConsent.objects.filter(withdrawn_at__isnull=False).exists()


def test_withdrawing_the_sensitive_part_on_the_page(world, login):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                             health_notes="轻度哮喘", allergies="花生")
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:privacy_withdraw",
                                   args=[world.child.pk, "sensitive"]),
                           {"reason": "不希望保存", "confirm": "on"})
    assert response["Location"] == reverse("enrollment:privacy_child", args=[world.child.pk])
    app.refresh_from_db()
    assert (app.health_notes, app.allergies, app.status) == ("", "", Status.SUBMITTED)
    page = client.get(response["Location"]).content.decode()
    assert "撤回：不希望保存" in page and "已清空填写的健康情况和过敏史" in page


def test_withdrawing_the_personal_part_on_the_page_ends_participation(world, login):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    response = login(world.guardian.user).post(
        reverse("enrollment:privacy_withdraw", args=[world.child.pk, "personal"]),
        {"reason": "孩子转学", "confirm": "on"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN and "孩子转学" in app.withdraw_reason


# ---------------------------------------------------------------------------- on the form

def _form_data(app, **overrides):
    data = {
        "revision": app.revision, "participates": "yes", "weekdays": ["1", "2"],
        "dismissal": "picked_up", "contact_phone": "13800138000", "health_notes": "",
        "allergies": "", "bus_route": "",
        "pickup-TOTAL_FORMS": "1", "pickup-INITIAL_FORMS": "0", "pickup-MIN_NUM_FORMS": "0",
        "pickup-MAX_NUM_FORMS": "4",
        "pickup-0-name": "张爷爷", "pickup-0-relation": "爷爷", "pickup-0-phone": "13900139000",
        "action": "submit", "signed_name": "王丽", "agree": "on",
    }
    data.update(overrides)
    return data


def test_the_form_is_not_submitted_without_the_consent_tick(world, login):
    student = core.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    core.link_guardian(student, world.guardian)
    AgreementFactory(term=world.term, version=1)
    draft = ApplicationFactory(student=student, term=world.term, participates=None)
    client = login(world.guardian.user)
    url = reverse("enrollment:edit", args=[draft.pk])
    shown = client.get(url).content.decode()
    assert "个人信息保护告知书正文" in shown and 'name="consent_personal"' in shown

    refused = client.post(url, _form_data(draft, allergies="花生"))
    assert refused.status_code == 200
    # Both missing consents are named at once, each at its own tick.
    assert exceptions.CONSENT_REQUIRED in refused.content.decode()
    assert exceptions.SENSITIVE_CONSENT_REQUIRED in refused.content.decode()
    refused = client.post(url, _form_data(draft))
    assert exceptions.CONSENT_REQUIRED in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT

    sensitive = client.post(url, _form_data(draft, allergies="花生", consent_personal="on"))
    assert exceptions.SENSITIVE_CONSENT_REQUIRED in sensitive.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.allergies == ""

    done = client.post(url, _form_data(draft, allergies="花生", consent_personal="on",
                                       consent_sensitive="on"))
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.allergies == "花生"
    assert PrivacyConsent.objects.filter(student=student, withdrawn_at__isnull=True).count() == 2
    # Once given, the child's page asks no more.
    assert 'name="consent_personal"' not in client.get(
        reverse("enrollment:privacy_child", args=[student.pk])).content.decode()


def test_a_new_version_shows_the_consent_again_on_the_form(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    client = login(world.guardian.user)
    url = reverse("enrollment:edit", args=[draft.pk])
    assert 'name="consent_personal"' not in client.get(url).content.decode()
    PrivacyNotice.objects.create(school=world.school, version=2, text="第二版正文",
                                 sensitive_text="第二版敏感部分")
    page = client.get(url).content.decode()
    assert 'name="consent_personal"' in page and "第二版正文" in page
    assert "学校更新了《个人信息保护告知书》（第2版）" in page


def test_the_guardians_list_marks_children_without_consent_and_links_their_pages(world, login):
    student = core.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    core.link_guardian(student, world.guardian)
    page = login(world.guardian.user).get(reverse("enrollment:my")).content.decode()
    assert page.count("尚未同意告知书") == 1
    for child in (world.child, world.sibling, student):
        assert reverse("enrollment:privacy_child", args=[child.pk]) in page
    consent_page = login(world.guardian.user).get(
        reverse("enrollment:privacy_child", args=[world.child.pk])).content.decode()
    assert reverse("school:child_access", args=[world.child.pk]) in consent_page
