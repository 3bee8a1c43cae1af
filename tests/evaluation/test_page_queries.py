"""Evaluation's list pages spend the same queries on five times the rows: statements of a month,
a statement's lines, the assessment's entries, the 公示 and its versions."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.models import Assessment, PublicationJob, Statement
from evaluation.services import assessment_compute, publication_build, statements_issue
from tests import factories as f

from .builders import NOV, at, make_lesson, office, take

pytestmark = pytest.mark.django_db
DAYS = [D for D in (dt.date(2024, 11, d) for d in range(4, 29)) if D.isoweekday() <= 4]
BUDGET = 20


def grow(world, teachers: int, days: int) -> None:
    """``teachers`` more tutors, each with a taken lesson on ``days`` service days, and a
    homeroom of their own children."""
    for _ in range(teachers):
        tutor = f.StaffFactory(school=world.school)
        homeroom = f.HomeroomFactory(school=world.school, grade=world.homeroom.grade,
                                     number=100 + tutor.pk)
        kids = [f.StudentFactory(school=world.school, homeroom=homeroom) for _ in range(3)]
        for day in DAYS[:days]:
            lesson = make_lesson(world.term, day, kids, tutors=[tutor], title=f"作业辅导{tutor.pk}")
            take(lesson, {k: "present" for k in kids}, by=tutor, when=at(day, 16, 42))


def pages(world) -> dict:
    statement = Statement.objects.filter(staff__user__isnull=False).order_by("-total", "pk").first()
    assessment = Assessment.objects.get()
    return {
        "coordinator": [reverse("evaluation:statements") + "?month=2024-11",
                        reverse("evaluation:statement", args=[statement.pk]),
                        reverse("evaluation:publications"),
                        reverse("evaluation:publication", args=["2024-11"])],
        "principal": [reverse("evaluation:assessments"),
                      reverse("evaluation:assessment", args=[assessment.pk])],
        "tutor": [reverse("evaluation:my"),
                  reverse("evaluation:statement", args=[statement.pk])],
        "statement_owner": statement.staff.user,
    }


def rebuild(world):
    Statement.objects.all().delete()
    Assessment.objects.all().delete()
    statements_issue(actor=office(world), school=world.school, month=NOV,
                     now=at(dt.date(2024, 12, 2), 8))
    assessment_compute(actor=office(world), school=world.school, period="month", month=NOV,
                       now=at(dt.date(2024, 12, 2), 8))
    job = PublicationJob.objects.create(school=world.school, month=NOV,
                                        trigger=f"size:{PublicationJob.objects.count()}")
    publication_build(job_id=job.pk)


def counts(client, world) -> dict:
    found = {}
    urls = pages(world)
    users = {"coordinator": world.coordinator, "principal": world.principal,
             "tutor": urls["statement_owner"]}
    for role in ("coordinator", "principal", "tutor"):
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
        for url in urls[role]:
            client.get(url)  # the first request stores the school in the session
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (role, url)
            found[role, url.split("?")[0].rstrip("0123456789/")] = len(ctx.captured_queries)
    return found


def test_list_pages_spend_the_same_queries_on_five_times_the_rows(client, world):
    grow(world, teachers=2, days=2)
    rebuild(world)
    small = counts(client, world)
    grow(world, teachers=8, days=10)
    rebuild(world)
    big = counts(client, world)
    assert big == small
    assert max(big.values()) <= BUDGET, big


def test_the_statement_page_and_the_payroll_workbook_stay_flat(client, world,
                                                               django_assert_max_num_queries):
    grow(world, teachers=6, days=16)
    rebuild(world)
    statement = Statement.objects.order_by("-total").first()
    assert statement.lines.count() == 16
    client.force_login(world.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("evaluation:statements"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("evaluation:statement", args=[statement.pk])).status_code == 200
    Statement.objects.update(status="final", final_at=at(dt.date(2024, 12, 3), 9))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("evaluation:payroll") + "?month=2024-11")
    assert response.status_code == 200
