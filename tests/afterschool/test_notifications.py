"""The notification layer: channels, preferences, one delivery per notice and channel, retries
with backoff and a cap, the sweep, the SMS provider against a local fake server, the office's
delivery page and each person's settings page."""

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Delivery, Notice, NoticePreference
from afterschool.notifications import NoticeSpec, notices_send, sending, sms
from afterschool.notifications.sending import deliveries_due, delivery_send
from afterschool.services import delivery_retry, notice_create

from .. import factories

Status = Delivery.Status


@pytest.fixture(autouse=True)
def clear_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def guardians(school, n):
    return [factories.GuardianFactory(school=school) for _ in range(n)]


def test_notice_create_keeps_its_signature_and_sends_email_and_sms(
        world, django_capture_on_commit_callbacks):
    user = world.guardian.user
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_create(user=user, school=world.school, title="张小明今天缺勤",
                               body="第1节点名未到。", email=world.guardian.email, sms=True)
    assert {d.channel: d.status for d in notice.deliveries.all()} == {"email": Status.SENT,
                                                                      "sms": Status.SENT}
    assert [m.to for m in mail.outbox] == [[world.guardian.email]]
    assert sms.outbox == [(user.phone, "【莒县第四实验小学】张小明今天缺勤。第1节点名未到。")]
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    # Without an address nor sms=True: in-app only, no delivery rows.
    plain = notice_create(user=world.tutor.user, school=world.school, title="名单已发布")
    assert not plain.deliveries.exists()


def test_preferences_turn_channels_off(world, django_capture_on_commit_callbacks):
    user = world.guardian.user
    NoticePreference.objects.create(user=user, sms=False, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_create(user=user, school=world.school, title="退回修改",
                               email=world.guardian.email, sms=True)
    assert list(notice.deliveries.values_list("channel", flat=True)) == ["email"]
    assert sms.outbox == []


def test_one_delivery_per_notice_and_channel_is_a_constraint(world):
    notice = Notice.objects.create(user=world.guardian.user, school=world.school, title="x")
    Delivery.objects.create(notice=notice, channel="sms", address="13900000000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(notice=notice, channel="sms", address="13900000000")


def test_a_key_makes_a_notice_once_only(world):
    user = world.guardian.user
    first = notice_create(user=user, school=world.school, title="请填写意向书", key="remind:1")
    again = notice_create(user=user, school=world.school, title="请填写意向书", key="remind:1")
    assert again.pk == first.pk
    assert Notice.objects.filter(user=user).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(user=user, school=world.school, title="y", key="remind:1")


@pytest.mark.parametrize("n", [5, 40])
def test_bulk_notices_take_a_constant_number_of_queries(world, n, django_assert_num_queries):
    people = [g.user for g in guardians(world.school, n)]
    specs = [NoticeSpec(user=u, title="安排已发布", sms=True) for u in people]
    # keys: none; preferences: 1; notices: 1 insert; deliveries: 1 insert; savepoints: 2
    with django_assert_num_queries(5):
        report = notices_send(school=world.school, specs=specs)
    assert len(report.notices) == n and report.sms == n
    assert report.text("家长") == f"已通知 {n} 位家长（站内 {n}，短信 {n} 条发送中）"
    assert Delivery.objects.filter(channel="sms").count() == n


def test_publishing_tasks_one_per_batch(world, monkeypatch, django_capture_on_commit_callbacks):
    from afterschool import notifications
    from afterschool.tasks import deliveries_send_task

    batches = []
    monkeypatch.setattr(deliveries_send_task, "delay", lambda ids: batches.append(ids))
    people = [g.user for g in guardians(world.school, notifications.TASK_BATCH + 3)]
    with django_capture_on_commit_callbacks(execute=True):
        notices_send(school=world.school, specs=[NoticeSpec(user=u, title="t", sms=True)
                                                 for u in people])
    assert [len(b) for b in batches] == [notifications.TASK_BATCH, 3]
    # Queued: the sweep leaves them alone.
    assert not Delivery.objects.filter(queued_at__isnull=True).exists()


def make_delivery(world, channel="sms", address="13900000001", **kw):
    notice = Notice.objects.create(user=world.guardian.user, school=world.school, title="通知")
    return Delivery.objects.create(notice=notice, channel=channel, address=address, **kw)


class FlakyBackend:
    """Fails ``fail`` times with a temporary error, then succeeds."""

    def __init__(self, fail=0, temporary=True):
        self.fail, self.temporary, self.calls = fail, temporary, 0

    def __call__(self):
        return self

    def send(self, phone, text, *, title=""):
        self.calls += 1
        if self.calls <= self.fail:
            raise sms.SmsError("服务繁忙", temporary=self.temporary)
        return "receipt-1"


def test_a_temporary_failure_backs_off_then_succeeds(world, monkeypatch):
    backend = FlakyBackend(fail=1)
    monkeypatch.setattr(sending, "sms_backend", backend)
    delivery = make_delivery(world)
    assert delivery_send(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.error == "服务繁忙"
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    # Not due yet: a second task does nothing, and the sweep leaves it.
    assert delivery_send(delivery_id=delivery.pk) is None
    assert deliveries_due() == []
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliveries_due(now=timezone.now() + dt.timedelta(seconds=10)) == [delivery.pk]
    assert delivery_send(delivery_id=delivery.pk) == Status.SENT
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider_ref) == (
        Status.SENT, 2, "receipt-1")
    # Sent is final: running again sends nothing.
    assert delivery_send(delivery_id=delivery.pk) is None
    assert backend.calls == 2


def test_repeated_temporary_failures_end_failed_with_the_reason(world, monkeypatch, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    monkeypatch.setattr(sending, "sms_backend", FlakyBackend(fail=99))
    delivery = make_delivery(world)
    for _ in range(3):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.error == "已尝试 3 次均未成功，最后一次：服务繁忙"


def test_a_refusal_fails_at_once(world, monkeypatch):
    monkeypatch.setattr(sending, "sms_backend", FlakyBackend(fail=1, temporary=False))
    delivery = make_delivery(world)
    assert delivery_send(delivery_id=delivery.pk) == Status.FAILED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.error) == (1, "服务繁忙")


def test_a_send_that_never_returns_is_capped(world, settings):
    """A worker killed mid-send leaves the claim (attempt, lease); past the cap: failed."""
    settings.DELIVERY_MAX_ATTEMPTS = 2
    delivery = make_delivery(world, attempts=2)
    assert delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.error == "已尝试 2 次，每次发送都在中途中断"
    assert sms.outbox == []


def test_the_sweep_finds_never_queued_and_lost_deliveries(world):
    now = timezone.now()
    old = now - dt.timedelta(minutes=10)
    never = make_delivery(world, created_at=old)
    lost = make_delivery(world, address="13900000002", created_at=old, queued_at=old)
    fresh_queue = make_delivery(world, address="13900000003", created_at=old, queued_at=now)
    too_new = make_delivery(world, address="13900000004")
    leased = make_delivery(world, address="13900000005", created_at=old,
                           next_attempt_at=now + dt.timedelta(minutes=2))
    make_delivery(world, address="13900000006", created_at=old, status=Status.SENT)
    assert sorted(deliveries_due(now=now)) == sorted([never.pk, lost.pk])
    assert deliveries_due(now=now) == []  # stamped: queued once
    assert {fresh_queue.pk, too_new.pk, leased.pk}.isdisjoint(deliveries_due(now=now))


def test_office_retries_failed_deliveries_of_its_own_school(world,
                                                            django_capture_on_commit_callbacks):
    failed = make_delivery(world, status=Status.FAILED, error="号码无效", attempts=5)
    foreign_notice = Notice.objects.create(user=world.foreign_coordinator,
                                           school=world.other_school, title="x")
    foreign = Delivery.objects.create(notice=foreign_notice, channel="sms",
                                      address="13900000009", status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_retry(actor=actor_for(world.coordinator, world.school),
                              delivery_ids=[failed.pk, foreign.pk]) == 1
    failed.refresh_from_db()
    foreign.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 1
    assert foreign.status == Status.FAILED


# ------------------------------------------------------------------ the real provider (Aliyun)

class FakeAliyun(BaseHTTPRequestHandler):
    """Alibaba Cloud's SendSms on 127.0.0.1: checks the signature as the provider does."""

    secret = "test-secret"
    answers: list = []
    seen: list = []

    def do_GET(self):  # noqa: N802
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        signature = query.pop("Signature")
        FakeAliyun.seen.append(query)
        if signature != sms.aliyun_signature(query, self.secret):
            status, body = 400, {"Code": "SignatureDoesNotMatch", "Message": "签名不符"}
        else:
            status, body = FakeAliyun.answers.pop(0)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeAliyun)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAliyun.answers, FakeAliyun.seen = [], []
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "test-key"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = FakeAliyun.secret
    settings.SMS_ALIYUN_SIGN_NAME = "莒县四实验"
    settings.SMS_ALIYUN_TEMPLATE_CODE = "SMS_123"
    settings.SMS_ALIYUN_ENDPOINT = f"http://127.0.0.1:{server.server_port}/"
    settings.SMS_TIMEOUT_SECONDS = 5
    yield FakeAliyun
    server.shutdown()
    server.server_close()


def test_aliyun_sends_a_signed_request_and_keeps_the_receipt(world, aliyun):
    aliyun.answers.append((200, {"Code": "OK", "Message": "OK", "BizId": "900^1"}))
    delivery = make_delivery(world, address="13812345678")
    assert delivery_send(delivery_id=delivery.pk) == Status.SENT
    delivery.refresh_from_db()
    assert delivery.provider_ref == "900^1"
    (query,) = aliyun.seen
    assert query["Action"] == "SendSms" and query["PhoneNumbers"] == "13812345678"
    assert query["SignName"] == "莒县四实验" and query["TemplateCode"] == "SMS_123"
    assert json.loads(query["TemplateParam"]) == {"title": "通知"}


def test_aliyun_refusal_and_rate_limit(world, aliyun):
    aliyun.answers += [(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}),
                       (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "业务限流"})]
    wrong = make_delivery(world, address="10000000000")
    assert delivery_send(delivery_id=wrong.pk) == Status.FAILED
    wrong.refresh_from_db()
    assert wrong.error == "短信服务拒绝（isv.MOBILE_NUMBER_ILLEGAL）：非法手机号"
    limited = make_delivery(world, address="13800000000")
    assert delivery_send(delivery_id=limited.pk) == Status.PENDING  # tried again later


def test_aliyun_unreachable_is_temporary(world, settings, aliyun):
    settings.SMS_ALIYUN_ENDPOINT = "http://127.0.0.1:9/"  # nothing listens there
    delivery = make_delivery(world)
    assert delivery_send(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.error.startswith("无法连接短信服务")


def test_aliyun_without_settings_says_what_is_missing(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    with pytest.raises(ImproperlyConfigured, match="SMS_ALIYUN_ACCESS_KEY_ID"):
        sms.sms_backend()


# ------------------------------------------------------------------------------------- pages

def test_delivery_page_roles(world, client, login):
    url = reverse("school:deliveries")
    assert client.get(url).status_code == 302
    assert login(world.guardian.user).get(url).status_code == 403
    assert login(world.principal).get(url).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_delivery_page_shows_failures_with_reasons(world, login, n,
                                                   django_assert_max_num_queries):
    for i in range(n):
        make_delivery(world, address=f"139000001{i:02d}", status=Status.FAILED, error="号码无效")
    make_delivery(world, channel="email", address="a@example.com", status=Status.PENDING,
                  error="邮件服务器不可用", next_attempt_at=timezone.now())
    client = login(world.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("school:deliveries"))
    page = response.content.decode()
    assert page.count("号码无效") == n
    assert "上次未成功：邮件服务器不可用" in page
    assert "139****0100" in page and "13900000100" not in page  # phone numbers masked


def test_retry_view_resends_chosen_failures(world, login, django_capture_on_commit_callbacks):
    failed = make_delivery(world, status=Status.FAILED, error="号码无效")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.coordinator).post(reverse("school:delivery_retry"),
                                                 {"delivery": [failed.pk, "abc"]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.SENT


def test_preferences_page(world, login):
    client = login(world.guardian.user)
    url = reverse("school:notice_preferences")
    assert "同时发送短信" in client.get(url).content.decode()
    assert client.post(url, {"email": "on"}).status_code == 302
    preference = NoticePreference.objects.get(user=world.guardian.user)
    assert (preference.email, preference.sms) == (True, False)


@pytest.mark.postgres
def test_a_notice_to_every_family_costs_the_queries_of_a_notice_to_a_class(world):
    """1,300 guardians (a school's publishing) in the queries of 30: one insert of notices,
    one of deliveries. On PostgreSQL; SQLite splits inserts by its parameter limit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from afterschool.models import User
    from tests.conftest import require_service

    require_service("PostgreSQL", connection.vendor == "postgresql")
    counts = []
    for n, prefix in ((30, "1520"), (1300, "1530")):
        users = User.objects.bulk_create([User(phone=f"{prefix}{i:07d}", password="!")
                                          for i in range(n)])
        with CaptureQueriesContext(connection) as queries:
            report = notices_send(school=world.school, specs=[
                NoticeSpec(user=u, title="安排已发布", body="已安排篮球。", url="/", sms=True)
                for u in users])
        counts.append(len(queries))
        assert (len(report.notices), report.sms) == (n, n)
    assert counts[0] == counts[1], counts
