"""Each view: anonymous → login, wrong role → 403/404, happy path → redirect and the DB changed."""

import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from afterschool.models import Term
from enrollment import exceptions
from enrollment.models import Agreement, Application, ApplicationTransition, Signature

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def users(world):
    return {"guardian": world.guardian.user, "other_guardian": world.other_guardian.user,
            "homeroom_teacher": world.homeroom_teacher.user,
            "other_homeroom_teacher": world.other_homeroom_teacher.user,
            "coordinator": world.coordinator, "principal": world.principal,
            "tutor": world.tutor.user, "foreign_coordinator": world.foreign_coordinator}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def app(world, agreement):
    return ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                              signed=agreement)


def url_names(app, world):
    return [
        reverse("enrollment:my"), reverse("enrollment:start", args=[world.child.pk]),
        reverse("enrollment:detail", args=[app.pk]), reverse("enrollment:edit", args=[app.pk]),
        reverse("enrollment:sign", args=[app.pk]), reverse("enrollment:withdraw", args=[app.pk]),
        reverse("enrollment:review"), reverse("enrollment:statistics"),
        reverse("enrollment:statistics_export"), reverse("enrollment:settings"),
    ]


def test_every_page_asks_anonymous_visitors_to_log_in(client, world, app):
    for url in url_names(app, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url in (reverse("enrollment:review_one", args=[app.pk]),
                reverse("enrollment:bulk_approve")):
        assert client.post(url)["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who,name,status", [
    ("homeroom_teacher", "enrollment:my", 403),
    ("coordinator", "enrollment:my", 403),
    ("guardian", "enrollment:review", 403),
    ("principal", "enrollment:review", 403),
    ("tutor", "enrollment:review", 403),
    ("guardian", "enrollment:statistics", 403),
    ("tutor", "enrollment:statistics", 403),
    ("guardian", "enrollment:settings", 403),
    ("homeroom_teacher", "enrollment:settings", 403),
    ("principal", "enrollment:settings", 403),
    ("guardian", "enrollment:my", 200),
    ("homeroom_teacher", "enrollment:review", 200),
    ("coordinator", "enrollment:review", 200),
    ("homeroom_teacher", "enrollment:statistics", 200),
    ("principal", "enrollment:statistics", 200),
    ("coordinator", "enrollment:settings", 200),
])
def test_role_gates(world, login, who, name, status):
    assert login(users(world)[who]).get(reverse(name)).status_code == status


@pytest.mark.parametrize("who,status", [
    ("guardian", 200), ("homeroom_teacher", 200), ("coordinator", 200), ("principal", 200),
    ("other_guardian", 404), ("other_homeroom_teacher", 404), ("foreign_coordinator", 404),
    ("tutor", 403),
])
def test_who_sees_an_application(world, login, app, who, status):
    response = login(users(world)[who]).get(reverse("enrollment:detail", args=[app.pk]))
    assert response.status_code == status


def test_a_sibling_in_another_homeroom_is_not_the_teachers(world, login, agreement):
    sibling_app = ApplicationFactory(student=world.sibling, term=world.term)
    client = login(world.homeroom_teacher.user)
    assert client.get(reverse("enrollment:detail", args=[sibling_app.pk])).status_code == 404


# ---------------------------------------------------------------------------- guardian

def test_start_page_shows_what_the_service_is_then_starts(world, login):
    client = login(world.guardian.user)
    url = reverse("enrollment:start", args=[world.child.pk])
    page = client.get(url).content.decode()
    for text in (world.term.service_content, world.term.safety_text,
                 world.term.voluntary_statement, "第1节 16:40–17:20", "开始填写"):
        assert text in page
    response = client.post(url)
    created = Application.objects.get(student=world.child, term=world.term)
    assert response["Location"] == reverse("enrollment:edit", args=[created.pk])


def test_start_of_someone_elses_child_is_404(world, login):
    client = login(world.guardian.user)
    assert client.get(reverse("enrollment:start", args=[world.other_child.pk])).status_code == 404
    assert client.post(reverse("enrollment:start", args=[world.other_child.pk])).status_code == 404
    assert not Application.objects.exists()


def test_start_page_when_the_window_is_closed_says_when(world, login):
    now = timezone.now()
    Term.objects.filter(pk=world.term.pk).update(application_opens_at=now + dt.timedelta(days=1),
                                                 application_closes_at=now + dt.timedelta(days=8))
    page = login(world.guardian.user).get(
        reverse("enrollment:start", args=[world.child.pk])).content.decode()
    assert "尚未开放" in page and "开始填写" not in page


def _form_data(app, **overrides):
    data = {
        "revision": app.revision, "participates": "yes", "weekdays": ["1", "2"],
        "dismissal": "picked_up", "contact_phone": "138 0013 8000", "health_notes": "",
        "allergies": "", "bus_route": "",
        "pickup-TOTAL_FORMS": "2", "pickup-INITIAL_FORMS": "0", "pickup-MIN_NUM_FORMS": "0",
        "pickup-MAX_NUM_FORMS": "4",
        "pickup-0-name": "张爷爷", "pickup-0-relation": "爷爷", "pickup-0-phone": "13900139000",
        "pickup-1-name": "", "pickup-1-relation": "", "pickup-1-phone": "",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_edit_page_without_courses_says_the_catalogue_comes_later(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    page = login(world.guardian.user).get(reverse("enrollment:edit", args=[draft.pk]))
    assert "课程目录发布后可填报志愿" in page.content.decode()


def test_edit_page_offers_the_grades_courses(world, login, courses):
    draft = ApplicationFactory(student=world.child, term=world.term)
    page = login(world.guardian.user).get(reverse("enrollment:edit", args=[draft.pk]))
    text = page.content.decode()
    assert "第一志愿" in text and "第三志愿" in text and "第四志愿" not in text
    assert "篮球（体育技能）" in text


def test_save_draft_then_sign_and_submit(world, login, agreement, courses):
    draft = ApplicationFactory(student=world.child, term=world.term, participates=None,
                               pickups=False)
    client = login(world.guardian.user)
    url = reverse("enrollment:edit", args=[draft.pk])
    response = client.post(url, _form_data(draft, pref_1=courses[1].pk, pref_2=courses[0].pk))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.participates is True and draft.weekdays == [1, 2]
    assert [p.course for p in draft.preferences.order_by("rank")] == [courses[1], courses[0]]
    assert draft.contact_phone == "13800138000"

    response = client.post(url, _form_data(draft, action="submit", signed_name="王丽",
                                           agree="on"))
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    sig = Signature.objects.get(application=draft)
    assert (sig.agreement, sig.signed_name, sig.ip_address) == (agreement, "王丽", "127.0.0.1")
    detail = client.get(response["Location"]).content.decode()
    assert "等待班主任审核，已提交于" in detail


def test_submit_with_a_wrong_name_keeps_the_draft_and_says_why(world, login, agreement):
    draft = ApplicationFactory(student=world.child, term=world.term, participates=None)
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:edit", args=[draft.pk]),
                           _form_data(draft, action="submit", signed_name="李四", agree="on"))
    assert response.status_code == 200
    assert "须与您在学校登记的姓名“王丽”一致" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.participates is True
    assert f'name="revision" value="{draft.revision}"' in response.content.decode()


def test_submit_without_the_signature_keeps_the_draft_and_asks_for_it(world, login, agreement):
    draft = ApplicationFactory(student=world.child, term=world.term, participates=None)
    response = login(world.guardian.user).post(
        reverse("enrollment:edit", args=[draft.pk]), _form_data(draft, action="submit"))
    assert response.status_code == 200
    page = response.content.decode()
    assert exceptions.SIGNATURE_NAME_REQUIRED in page and "请勾选已阅读并同意协议" in page
    assert "草稿已保存" in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.participates is True and draft.weekdays == [1, 2]
    assert f'name="revision" value="{draft.revision}"' in page


def test_a_declined_form_is_submitted_without_signing(world, login, agreement):
    draft = ApplicationFactory(student=world.child, term=world.term, participates=None)
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:edit", args=[draft.pk]),
                           _form_data(draft, participates="no", action="submit"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.participates is False
    assert not draft.signatures.exists()


def test_a_bad_phone_is_a_clear_error(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    response = login(world.guardian.user).post(
        reverse("enrollment:edit", args=[draft.pk]), _form_data(draft, contact_phone="12345"))
    assert response.status_code == 200
    assert exceptions.PHONE_INVALID in response.content.decode()


def test_edit_of_a_submitted_form_redirects_to_its_status(world, login, app):
    client = login(world.guardian.user)
    response = client.get(reverse("enrollment:edit", args=[app.pk]))
    assert response["Location"] == reverse("enrollment:detail", args=[app.pk])
    response = client.post(reverse("enrollment:edit", args=[app.pk]), _form_data(app))
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.weekdays == [1, 2, 3, 4]


@pytest.mark.parametrize("who,status", [("other_guardian", 404), ("homeroom_teacher", 403),
                                        ("coordinator", 403)])
def test_only_the_childs_guardian_edits(world, login, who, status):
    draft = ApplicationFactory(student=world.child, term=world.term)
    client = login(users(world)[who])
    assert client.get(reverse("enrollment:edit", args=[draft.pk])).status_code == status
    assert client.post(reverse("enrollment:edit", args=[draft.pk]),
                       _form_data(draft)).status_code == status


def test_a_new_agreement_shows_resign_and_the_sign_page_records_it(world, login, app, actors):
    from enrollment import services

    services.agreement_publish(term=world.term, actor=actors["coordinator"],
                               service_text="第二版", safety_text="第二版责任书")
    client = login(world.guardian.user)
    page = client.get(reverse("enrollment:detail", args=[app.pk])).content.decode()
    assert "协议已更新，请重新签署" in page
    home = client.get(reverse("school:home")).content.decode()
    assert "重新签署" in home
    response = client.post(reverse("enrollment:sign", args=[app.pk]),
                           {"signed_name": "王丽", "agree": "on"})
    assert response.status_code == 302
    assert app.signatures.latest("signed_at").agreement.version == 2
    page = client.get(reverse("enrollment:detail", args=[app.pk])).content.decode()
    assert "协议已更新，请重新签署" not in page


def test_withdraw_page_and_confirm(world, login, app):
    client = login(world.guardian.user)
    url = reverse("enrollment:withdraw", args=[app.pk])
    assert "确认退出" in client.get(url).content.decode()
    today = timezone.localdate()
    response = client.post(url, {"withdrawn_on": today.isoformat(), "reason": "老人可以接送",
                                 "revision": app.revision})
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.withdrawn_on, app.withdraw_reason) == (
        Status.WITHDRAWN, today, "老人可以接送")


def test_withdraw_in_the_past_is_refused_on_the_page(world, login, app):
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:withdraw", args=[app.pk]), {
        "withdrawn_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "reason": "x", "revision": app.revision})
    assert response.status_code == 200 and "不能早于今天" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


@pytest.mark.parametrize("who,status", [("homeroom_teacher", 403), ("other_guardian", 404)])
def test_withdraw_by_others_is_refused(world, login, app, who, status):
    response = login(users(world)[who]).post(
        reverse("enrollment:withdraw", args=[app.pk]),
        {"withdrawn_on": timezone.localdate().isoformat(), "reason": "x", "revision": 0})
    assert response.status_code == status


# ---------------------------------------------------------------------------- review

def _review(client, app, to_status, comment="", **extra):
    data = {"to_status": to_status, "comment": comment, "status": app.status,
            "revision": app.revision, **extra}
    return client.post(reverse("enrollment:review_one", args=[app.pk]), data)


def test_homeroom_teacher_approves_from_the_detail_page(world, login, app):
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("enrollment:detail", args=[app.pk])).content.decode()
    assert "班级审核通过" in page and "退回修改" in page and "学校复核通过" not in page
    response = _review(client, app, Status.CLASS_APPROVED, next="/enrollment/review/")
    assert response["Location"] == "/enrollment/review/"
    app.refresh_from_db()
    assert app.status == Status.CLASS_APPROVED


def test_return_without_a_reason_is_refused_with_a_message(world, login, app):
    response = _review(login(world.homeroom_teacher.user), app, Status.RETURNED)
    assert "请填写“退回修改”的原因" in " ".join(messages_of(response))
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_a_second_reviewer_gets_the_clear_message(world, login, app, actors):
    from enrollment import services

    seen = Application.objects.get(pk=app.pk)
    services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                    actor=actors["homeroom_teacher"])
    response = _review(login(world.coordinator), seen, Status.RETURNED, "请补充")
    stale = exceptions.STALE_FOR_REVIEWER.format(status=Status.CLASS_APPROVED.label)
    assert stale in messages_of(response)
    assert ApplicationTransition.objects.filter(application=app).count() == 1


@pytest.mark.parametrize("who,status", [("other_homeroom_teacher", 404), ("guardian", 403),
                                        ("principal", 403)])
def test_review_by_the_wrong_person(world, login, app, who, status):
    assert _review(login(users(world)[who]), app, Status.CLASS_APPROVED).status_code == status
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_the_coordinator_sends_back_to_the_homeroom_teacher(world, login, agreement):
    approved = ApplicationFactory(student=world.child, term=world.term,
                                  status=Status.CLASS_APPROVED, signed=agreement)
    client = login(world.coordinator)
    page = client.get(reverse("enrollment:detail", args=[approved.pk])).content.decode()
    assert "退回班主任重审" in page and "学校复核通过" in page
    _review(client, approved, Status.SUBMITTED, "请核对参加日")
    approved.refresh_from_db()
    assert approved.status == Status.SUBMITTED and approved.decision_comment == "请核对参加日"


def test_queue_shows_the_homeroom_with_unanswered_declined_and_applied(world, login, agreement):
    ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    declined = ApplicationFactory(student=world.other_child, term=world.term,
                                  status=Status.SUBMITTED, participates=False)
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.SUBMITTED)
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("enrollment:review")).content.decode()
    assert "张小明" in page and "李华" in page and "张小红" not in page
    assert "不参加" in page
    page = client.get(reverse("enrollment:review") + "?bucket=all&participates=no").content.decode()
    assert "李华" in page and "张小明" not in page
    Application.objects.filter(pk=declined.pk).update(status=Status.DRAFT)
    page = client.get(reverse("enrollment:review") + "?bucket=unanswered").content.decode()
    assert "李华" in page and "张小明" not in page
    assert "136****" in page or "****" in page  # guardians' phones masked
    assert world.other_guardian.phone not in page


def test_coordinator_queue_filters_by_grade_and_homeroom(world, login):
    ApplicationFactory(student=world.child, term=world.term, status=Status.CLASS_APPROVED)
    ApplicationFactory(student=world.sibling, term=world.term, status=Status.CLASS_APPROVED)
    client = login(world.coordinator)
    page = client.get(reverse("enrollment:review")).content.decode()
    assert "张小明" in page and "张小红" in page
    page = client.get(reverse("enrollment:review"),
                      {"bucket": "class_approved", "homeroom": world.other_homeroom.pk}).content.decode()
    assert "张小红" in page and "张小明" not in page


def test_bulk_approve_from_the_queue(world, login):
    a = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    b = ApplicationFactory(student=world.other_child, term=world.term, status=Status.SUBMITTED)
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("enrollment:review") + "?bucket=submitted").content.decode()
    assert f'value="{a.pk}:{a.revision}"' in page and "批量通过所选" in page
    chosen = {"selected": [f"{a.pk}:{a.revision}", f"{b.pk}:{b.revision}"],
              "next": "/enrollment/review/?bucket=submitted"}
    # First a confirmation that states the count and names, and changes nothing.
    confirm = client.post(reverse("enrollment:bulk_approve"), chosen)
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert "将通过以下 <strong>2</strong> 份意向书" in text and "确认通过 2 份" in text
    assert "张小明" in text and "李华" in text and 'name="confirmed" value="1"' in text
    assert set(Application.objects.values_list("status", flat=True)) == {Status.SUBMITTED}
    response = client.post(reverse("enrollment:bulk_approve"), {**chosen, "confirmed": "1"})
    assert response["Location"] == "/enrollment/review/?bucket=submitted"
    assert set(Application.objects.values_list("status", flat=True)) == {Status.CLASS_APPROVED}
    assert "已通过 2 份意向书。" in messages_of(response)


def test_bulk_approve_of_another_homeroom_is_404(world, login):
    theirs = ApplicationFactory(student=world.sibling, term=world.term, status=Status.SUBMITTED)
    response = login(world.homeroom_teacher.user).post(
        reverse("enrollment:bulk_approve"), {"selected": [f"{theirs.pk}:0"]})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.SUBMITTED


# ---------------------------------------------------------------------------- office

def test_settings_edit_texts_and_window(world, login):
    client = login(world.coordinator)
    opens = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(reverse("enrollment:settings"), {
        "action": "term",
        "application_opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "application_closes_at": (opens + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "max_preferences": 2, "service_content": "作业辅导和社团", "schedule_text": "周一至周四",
        "safety_text": "护送离校", "voluntary_statement": "自愿免费"})
    assert response.status_code == 302
    term = Term.objects.get(pk=world.term.pk)
    assert term.max_preferences == 2 and term.service_content == "作业辅导和社团"
    assert timezone.localtime(term.application_opens_at).strftime("%Y-%m-%d %H:%M") == \
        opens.strftime("%Y-%m-%d %H:%M")


def test_settings_refuse_a_window_closing_before_it_opens(world, login):
    response = login(world.coordinator).post(reverse("enrollment:settings"), {
        "action": "term", "application_opens_at": "2030-09-08T08:00",
        "application_closes_at": "2030-09-01T08:00", "max_preferences": 3,
        "voluntary_statement": "自愿免费"})
    assert response.status_code == 200 and exceptions.WINDOW_ORDER in response.content.decode()


def test_settings_publish_a_new_agreement_version(world, login, agreement):
    response = login(world.coordinator).post(reverse("enrollment:settings"), {
        "action": "agreement", "service_text": "协议第二版", "safety_text": "责任书第二版"})
    assert response.status_code == 302
    latest = Agreement.objects.filter(term=world.term).order_by("-version").first()
    assert (latest.version, latest.service_text, latest.published_by) == (
        2, "协议第二版", world.coordinator)


def test_principal_cannot_post_settings(world, login):
    response = login(world.principal).post(reverse("enrollment:settings"), {
        "action": "agreement", "service_text": "x", "safety_text": "y"})
    assert response.status_code == 403
    assert not Agreement.objects.exists()


def test_export_is_an_xlsx_with_the_numbers(world, login):
    ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    response = login(world.coordinator).get(reverse("enrollment:statistics_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["参与统计", "未完成审核的班级", "意向书明细"]
    rows = list(wb["参与统计"].iter_rows(values_only=True))
    header = rows[2]
    assert header[:5] == ("班级", "班主任", "学生数", "已填报", "申请参加")
    first = dict(zip(header, rows[3], strict=False))
    assert (first["班级"], first["学生数"], first["申请参加"], first["未填报"]) == (
        "七年级1班", 2, 1, 1)
    assert first["参与率"] == 0.5
    total = dict(zip(header, rows[-1], strict=False))
    assert (total["班级"], total["学生数"], total["申请参加"]) == ("全校合计", 3, 1)
    pending = list(wb["未完成审核的班级"].iter_rows(values_only=True))
    assert pending[1][0] == "七年级1班" and pending[1][2] == 1
    detail = list(wb["意向书明细"].iter_rows(values_only=True))
    assert detail[1][1] == "张小明" and detail[1][3] == Status.SUBMITTED.label


def test_homeroom_teacher_statistics_show_only_their_row(world, login):
    page = login(world.homeroom_teacher.user).get(reverse("enrollment:statistics")).content.decode()
    assert "七年级1班" in page and "七年级2班" not in page and "全校合计" not in page


def test_a_declined_form_offers_no_withdrawal(world, login):
    declined = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                                  participates=False)
    page = login(world.guardian.user).get(
        reverse("enrollment:detail", args=[declined.pk])).content.decode()
    assert "已提交“不参加”" in page
    assert reverse("enrollment:withdraw", args=[declined.pk]) not in page


def test_a_refused_form_says_so_at_the_top(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    page = login(world.guardian.user).post(
        reverse("enrollment:edit", args=[draft.pk]),
        _form_data(draft, contact_phone="12345")).content.decode()
    assert "请按下方红色提示修改后再提交。草稿尚未保存" in page


@pytest.mark.parametrize("evil", ["javascript:alert(1)", "https://evil.example/x",
                                  "//evil.example/x"])
def test_back_link_only_goes_to_this_site(world, login, app, evil):
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("enrollment:detail", args=[app.pk]), {"next": evil})
    assert evil not in page.content.decode()
    ok = client.get(reverse("enrollment:detail", args=[app.pk]), {"next": "/enrollment/review/"})
    assert 'href="/enrollment/review/"' in ok.content.decode()


def test_a_refused_decision_keeps_the_way_back_to_the_list(world, login, app):
    response = _review(login(world.homeroom_teacher.user), app, Status.RETURNED,
                       next="/enrollment/review/?status=submitted")
    detail = reverse("enrollment:detail", args=[app.pk])
    assert response["Location"].startswith(detail + "?next=")
    assert "%2Fenrollment%2Freview%2F" in response["Location"]
