"""Real tasks through Redis to a real Celery worker, checked by their effect in the database.

The test settings run tasks inline (eager); these tests turn that off for themselves, start an
embedded worker thread on the project's app with REDIS_URL as broker (no result backend: the
effects are checked in the database), and need PostgreSQL: the worker thread has its own
database connection and must see committed rows (an in-memory SQLite test database is not
shared that way). Without Redis or PostgreSQL they
skip locally and fail under CI=true.
"""

import time
import uuid

import pytest
from celery.result import EagerResult
from django.conf import settings
from django.core import mail
from django.db import connection

from afterschool.celery import app as project_app
from afterschool.models import Delivery, Notice
from afterschool.services import notice_create
from afterschool.tasks import deliveries_send_task

from .. import factories
from ..conftest import require_service

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.postgres]


def redis_reachable(url: str) -> tuple[bool, str]:
    if not url:
        return False, "未设置 REDIS_URL"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return False, f"{url}：{exc}"
    return True, ""


def require_postgres() -> None:
    require_service("PostgreSQL", connection.vendor == "postgresql",
                    "Celery worker 线程需要看到已提交的数据，请设置 DATABASE_URL=postgres://…")


def require_redis() -> None:
    ok, why = redis_reachable(settings.REDIS_URL)
    require_service("Redis", ok, why)


@pytest.fixture
def worker():
    """A Celery worker thread for the project's tasks, on a queue of its own in Redis.

    The app is configured exactly as afterschool/celery.py configures the project's (from the
    Django settings), then made current, so the tasks' ``delay`` goes through it; only eager
    mode is turned off and the queue is this test's own, so nothing left in Redis by an earlier
    run, and no other worker on the same Redis, can take the messages.
    """
    require_redis()
    require_postgres()
    from celery import Celery
    from celery.contrib.testing import tasks  # noqa: F401  registers celery.ping
    from celery.contrib.testing.worker import start_worker

    app = Celery("afterschool", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=settings.REDIS_URL,
        task_always_eager=False,
        task_default_queue=f"afterschool-test-{uuid.uuid4().hex[:12]}",
        worker_hijack_root_logger=False,
    )
    try:
        # No ping check: it reads a result, and the project keeps no result backend.
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            assert deliveries_send_task.app is app  # delay() really goes to this worker
            yield app
    finally:
        project_app.set_current()
        project_app.set_default()
        app.close()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_notice_mail_is_sent_by_the_worker_once(worker):
    school = factories.SchoolFactory(name="莒县第四实验学校")
    user = factories.UserFactory(name="王丽")
    notice = Notice.objects.create(user=user, school=school, title="意向书已审核",
                                   body="您孩子的课后服务意向书已通过班级审核。")
    delivery = Delivery.objects.create(notice=notice, channel="email", address="a@example.com")

    result = deliveries_send_task.delay([delivery.pk])
    assert not isinstance(result, EagerResult)  # really queued, not run inline
    assert wait_for(lambda: Delivery.objects.filter(pk=delivery.pk, status="sent").exists())
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"]
    assert message.subject == "【莒县第四实验学校课后服务】意向书已审核"

    # Safe to run twice: a second delivery of the same task sends nothing more.
    deliveries_send_task.delay([delivery.pk])
    deliveries_send_task.delay([987654321])  # a missing row is a no-op
    time.sleep(2)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_notice_create_queues_the_mail_after_commit(worker):
    school = factories.SchoolFactory()
    user = factories.UserFactory()
    notice = notice_create(user=user, school=school, title="放学交接提醒",
                           email="guardian@example.com")
    assert wait_for(lambda: Notice.objects.filter(pk=notice.pk, emailed_at__isnull=False)
                    .exists()), "the worker did not mail the notice within 20 s"
    assert [m.to for m in mail.outbox] == [["guardian@example.com"]]


def test_ci_runs_on_postgresql_and_redis(settings):
    """Under CI=true the suite must run on the production database and a real broker."""
    engine = settings.DATABASES["default"]["ENGINE"]
    require_service("PostgreSQL", engine == "django.db.backends.postgresql", f"ENGINE={engine}")
    require_redis()
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
