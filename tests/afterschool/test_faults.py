"""Faults injected for real: Redis unreachable, a pool process killed, a whole worker gone, a
database connection terminated. Each test runs the project's own code against a real Redis and
real Celery workers on PostgreSQL (an embedded worker thread, or a `celery worker` subprocess
with a prefork pool where a process must be killed). Without Redis or PostgreSQL they skip
locally and fail under CI=true, like the suite's other worker tests.
"""

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.celery import app as project_app
from afterschool.models import Delivery, Guardian, ImportJob, Notice, Student
from afterschool.roster.jobs import import_job_restart, import_jobs_sweep
from afterschool.tasks import (
    ROSTER_IMPORT_TIME_LIMIT,
    deliveries_sweep_task,
    roster_import_task,
)
from enrollment.models import Application, ApplicationTransition
from enrollment.tasks import transitions_sweep_task

from .. import factories
from .test_celery_worker import require_postgres, require_redis, wait_for
from .test_roster_large import big_roster

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
Status = Application.Status


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def current_app(**conf):
    """The project's configuration with ``conf`` on top, as the app tasks are sent through."""
    app = Celery("afterschool", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(task_always_eager=False, worker_hijack_root_logger=False, **conf)
    app.set_current()
    app.set_default()
    try:
        yield app
    finally:
        project_app.set_current()
        project_app.set_default()
        app.close()


@contextlib.contextmanager
def worker_thread(queue):
    from celery.contrib.testing.worker import start_worker

    with current_app(broker_url=settings.REDIS_URL, task_default_queue=queue) as app, \
            start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        yield app


@pytest.fixture
def services_up():
    require_redis()
    require_postgres()


# ------------------------------------------------------------------- Redis unreachable

@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_writes_succeed_and_the_notices_arrive_once(services_up, world,
                                                                         login):
    father = factories.GuardianFactory(school=world.school, name="张伟", email="zw@example.com")
    factories.link_guardian(world.child, father, relation="父亲", is_primary=False)
    from enrollment.models import Agreement  # noqa: F401  (the form needs no agreement here)
    from tests.enrollment.factories import ApplicationFactory

    draft = ApplicationFactory(student=world.child, term=world.term, participates=None)
    submitted = ApplicationFactory(student=world.other_child, term=world.term,
                                   status=Status.SUBMITTED)
    from tests.enrollment.test_views import _form_data

    with current_app(broker_url=f"redis://127.0.0.1:{closed_port()}/0"):
        started = time.monotonic()
        response = login(world.guardian.user).post(
            reverse("enrollment:edit", args=[draft.pk]),
            _form_data(draft, participates="no", action="submit"))
        assert response.status_code == 302
        response = login(world.homeroom_teacher.user).post(
            reverse("enrollment:review_one", args=[submitted.pk]),
            {"to_status": Status.CLASS_APPROVED, "comment": "", "status": Status.SUBMITTED,
             "revision": submitted.revision})
        assert response.status_code == 302
        assert time.monotonic() - started < 10  # no 20 s stall per write
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert (draft.status, submitted.status) == (Status.SUBMITTED, Status.CLASS_APPROVED)
    assert not Notice.objects.exists()
    assert ApplicationTransition.objects.filter(notified_at__isnull=True).count() == 2

    # The broker is back; time passes; the beat runs its sweeps. Nobody acts.
    ApplicationTransition.objects.update(at=timezone.now() - dt.timedelta(minutes=1))
    with worker_thread(f"afterschool-test-{uuid.uuid4().hex[:12]}"):
        for _ in range(3):  # three beats: the second and third find nothing
            transitions_sweep_task.delay()
            deliveries_sweep_task.delay()
            assert wait_for(lambda: Delivery.objects.count() == 2
                            and not Delivery.objects.exclude(status="sent").exists())
        time.sleep(2)
    assert {(n.user.name, n.title) for n in Notice.objects.all()} == {
        ("李强", "李华的课后服务意向书：班主任已审核通过"),
        ("张伟", "张小明的课后服务意向书已提交")}
    assert Notice.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([father.email,
                                                           world.other_guardian.email])
    assert not ApplicationTransition.objects.filter(notified_at__isnull=True).exists()


# ---------------------------------------------------------------- worker subprocesses

def database_url() -> str:
    d = connection.settings_dict
    return (f"postgres://{d['USER']}:{d['PASSWORD'] or ''}@{d['HOST'] or '127.0.0.1'}:"
            f"{d['PORT'] or 5432}/{d['NAME']}")


class Worker:
    """``celery worker`` with one prefork pool process, on a queue of its own, on the test
    database; ``kill_pool_process`` and ``kill`` are the faults."""

    def __init__(self, queue, tmp_path):
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
               # The local settings: with REDIS_URL set, tasks (and their retries) go through
               # the broker as in production; the test settings would run retries inline.
               "DJANGO_SETTINGS_MODULE": "afterschool.settings.local",
               "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)}
        self.log = open(tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "afterschool", "worker", "-P", "prefork",
             "-c", "1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "INFO"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        assert wait_for(lambda: "ready." in self.output(), timeout=60), self.output()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def pool_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill_pool_process(self):
        (pid,) = self.pool_pids()
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


ROWS = 12_000


@pytest.fixture
def queue(services_up, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    name = f"afterschool-test-{uuid.uuid4().hex[:12]}"
    with current_app(broker_url=settings.REDIS_URL, task_default_queue=name):
        yield name


@pytest.fixture
def workers(queue, tmp_path):
    started = []

    def start():
        started.append(Worker(queue, tmp_path))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def upload(world, tmp_path) -> ImportJob:
    job = ImportJob(school=world.school, kind="students", original_name="全校名册.xlsx",
                    created_by=world.coordinator)
    content = big_roster(tmp_path / "big.xlsx", rows=ROWS).read_bytes()
    job.file.save("students-fault.xlsx", ContentFile(content), save=False)
    job.save()
    return job


def midway(job) -> bool:
    job.refresh_from_db()
    return job.status == "running" and 0 < job.processed_rows < ROWS


def imported_once(world):
    assert Student.objects.filter(school=world.school, student_no__startswith="2025").count() \
        == ROWS
    assert Guardian.objects.filter(school=world.school, name__startswith="家长").count() \
        == ROWS // 2


@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_task_is_redelivered_and_completes_once(world, workers,
                                                                          tmp_path):
    worker = workers()
    job = upload(world, tmp_path)
    roster_import_task.delay(job.pk)
    assert wait_for(lambda: midway(job), timeout=60), worker.output()
    worker.kill_pool_process()
    assert wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed",
                                                                            "awaiting"])
                    .exists(), timeout=180), worker.output()
    job.refresh_from_db()
    assert job.attempts == 2, worker.output()  # redelivered, not dropped
    assert job.status in ("done", "awaiting"), job.errors[:3]


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_vanished_is_interrupted_then_restarted(world, workers, tmp_path):
    worker = workers()
    job = upload(world, tmp_path)
    roster_import_task.delay(job.pk)
    assert wait_for(lambda: midway(job), timeout=60), worker.output()
    worker.kill()  # the machine restarted: the message stays unacknowledged in Redis
    time.sleep(1)
    job.refresh_from_db()
    assert job.status == "running"
    stale = dt.timedelta(seconds=ROSTER_IMPORT_TIME_LIMIT + 60)
    assert import_jobs_sweep(stale_after=stale)[1] == 0  # not silent long enough yet
    assert import_jobs_sweep(stale_after=stale, now=timezone.now() + stale)[1] == 1
    job.refresh_from_db()
    assert job.status == "interrupted"
    import_job_restart(actor=actor_for(world.coordinator, world.school), job=job)
    second = workers()
    assert wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed",
                                                                            "awaiting"])
                    .exists(), timeout=180), second.output()
    job.refresh_from_db()
    assert job.status in ("done", "awaiting") and job.attempts == 1, job.errors[:3]


@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_during_an_import_never_leaves_it_running(world, workers,
                                                                               tmp_path):
    worker = workers()
    job = upload(world, tmp_path)
    roster_import_task.delay(job.pk)
    assert wait_for(lambda: midway(job), timeout=60), worker.output()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert cursor.fetchall(), "the worker had no database connection to terminate"
    assert wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed",
                                                                            "awaiting"])
                    .exists(), timeout=180), worker.output()
    job.refresh_from_db()
    if job.status == "failed":  # retries used up: a clear reason, not "running" forever
        assert job.errors[0]["message"].startswith("导入失败：数据库连接中断")
    else:  # retried on a new connection and finished
        assert job.attempts >= 2, worker.output()
