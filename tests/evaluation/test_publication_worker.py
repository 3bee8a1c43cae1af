"""The monthly 公示 under real Celery workers through Redis, on PostgreSQL.

- the beat's job on the demo school, through a worker: the version matches the records counted
  one by one;
- a worker process killed in the middle of a build (after its reads, while it waits for the
  school's version lock): nothing is written, the message is delivered again (``acks_late``)
  and exactly one version is made;
- the build's database connection terminated in the middle: the task retries on a new
  connection and makes exactly one version.

Without Redis or PostgreSQL these skip locally and fail under CI=true, like the project's other
worker tests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from afterschool.models import School
from attendance.models import AttendanceRecord
from evaluation.models import Publication, PublicationJob
from evaluation.months import last_of, previous_month
from evaluation.tasks import publication_build_task, publications_monthly_task
from tests.afterschool.test_celery_worker import (  # noqa: F401  (the worker fixture)
    require_postgres,
    require_redis,
    wait_for,
    worker,
)
from tests.afterschool.test_faults import Worker, current_app, database_url

from .test_publication import HOMEROOMS, KEYS, month  # noqa: F401  (the month fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.postgres]


def homerooms_counted_one_by_one(school, first, last) -> dict:
    found = defaultdict(Counter)
    students = defaultdict(set)
    for name_grade, number, student_id, status in (
            AttendanceRecord.objects.filter(lesson__term__school=school,
                                            lesson__date__range=(first, last),
                                            lesson__is_cancelled=False)
            .values_list("student__homeroom__grade__name", "student__homeroom__number",
                         "student_id", "status").iterator()):
        name = f"{name_grade}{number}班"
        found[name]["expected"] += 1
        found[name][status or "missing"] += 1
        students[name].add(student_id)
    return {name: {"students": len(students[name]),
                   **{k: c[k] for k in ("expected", "present", "late", "leave", "absent",
                                        "missing")}} for name, c in found.items()}


@pytest.mark.django_db(transaction=True)
def test_the_beat_job_on_the_demo_school_under_a_real_worker(worker):  # noqa: F811
    call_command("seed_demo", stdout=None)
    school = School.objects.get(code="demo-jx4")
    month_first = previous_month(timezone.localdate())
    # The demo made last month's as the morning's job would; the beat finds the request made.
    assert PublicationJob.objects.filter(school=school, trigger__startswith="beat:").exists()
    Publication.objects.all().delete()
    PublicationJob.objects.all().delete()

    publications_monthly_task.delay()
    assert wait_for(lambda: Publication.objects.filter(school=school).exists(), timeout=120)
    publications_monthly_task.delay()  # the beat again (a second beat process, a restart)
    assert wait_for(lambda: not PublicationJob.objects.exclude(status="done").exists(), 60)
    publication = Publication.objects.get(school=school)
    assert (publication.month, publication.version) == (month_first, 1)
    job = publication.job
    assert job.trigger == f"beat:{month_first:%Y-%m}" and job.attempts == 1
    content = publication.content
    by_hand = homerooms_counted_one_by_one(school, month_first, last_of(month_first))
    assert by_hand, "the demo school has no lessons last month"
    keys = ("students", "expected", "present", "late", "leave", "absent", "missing")
    assert {r["name"]: {k: r[k] for k in keys} for r in content["homerooms"]} == by_hand
    assert sum(r["expected"] for r in content["courses"]) == content["totals"]["expected"] \
        == sum(c["expected"] for c in by_hand.values())


# ------------------------------------------------------------------ worker subprocesses

@pytest.fixture
def queue(settings, tmp_path):
    require_redis()
    require_postgres()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    name = f"afterschool-test-{uuid.uuid4().hex[:12]}"
    with current_app(broker_url=settings.REDIS_URL, task_default_queue=name):
        yield name


@pytest.fixture
def start_worker(queue, tmp_path):
    started = []

    def start():
        started.append(Worker(queue, tmp_path))
        return started[-1]

    yield start
    for one in started:
        one.stop()


class SchoolLock:
    """Another connection holding the school's row, as a concurrent build would: the worker's
    build reads its tables, then waits here for the version lock."""

    def __init__(self, school_id: int):
        self.conn = psycopg2.connect(database_url())
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {School._meta.db_table} WHERE id = %s FOR UPDATE",
                           [school_id])

    def release(self):
        self.conn.rollback()
        self.conn.close()


def build_is_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def request(world) -> PublicationJob:
    return PublicationJob.objects.create(school=world.school, month=dt.date(2024, 11, 1),
                                         trigger=f"manual:{uuid.uuid4().hex}")


def homerooms_of(publication) -> list[dict]:
    return [{k: r[k] for k in KEYS} for r in publication.content["homerooms"]]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_build_leaves_nothing_and_the_redelivery_builds_once(
        world, month, start_worker):  # noqa: F811
    worker_process = start_worker()
    job = request(world)
    lock = SchoolLock(world.school.pk)
    try:
        publication_build_task.delay(job.pk)
        assert wait_for(build_is_waiting, timeout=60), worker_process.output()
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("running", 1)
        worker_process.kill_pool_process()  # SIGKILL, in the middle of the transaction
    finally:
        lock.release()
    assert wait_for(lambda: PublicationJob.objects.filter(pk=job.pk, status="done").exists(),
                    timeout=120), worker_process.output()
    job.refresh_from_db()
    assert job.attempts == 2, worker_process.output()  # redelivered, not dropped
    publication = Publication.objects.get()
    assert (publication.job_id, publication.version) == (job.pk, 1)
    assert homerooms_of(publication) == HOMEROOMS


@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_mid_build_is_retried_on_a_new_one(
        world, month, start_worker):  # noqa: F811
    worker_process = start_worker()
    job = request(world)
    lock = SchoolLock(world.school.pk)
    try:
        publication_build_task.delay(job.pk)
        assert wait_for(build_is_waiting, timeout=60), worker_process.output()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = current_database() AND wait_event_type = 'Lock'")
            assert cursor.fetchall()
    finally:
        lock.release()
    assert wait_for(lambda: PublicationJob.objects.filter(
        pk=job.pk, status__in=["done", "failed"]).exists(), timeout=120), worker_process.output()
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2, (job.error, worker_process.output())
    assert "retry" in worker_process.output().lower()
    assert Publication.objects.get().version == 1
    assert homerooms_of(Publication.objects.get()) == HOMEROOMS

