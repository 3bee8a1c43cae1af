"""Guardians hear of every decision; bulk moves are all-or-nothing and cost constant queries."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from afterschool.models import Notice, Student
from enrollment import exceptions, services
from enrollment.models import Application, ApplicationTransition
from tests import factories as core
from tests.conftest import require_service

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def second_guardian(world):
    """The child's father: a login and an e-mail address."""
    father = core.GuardianFactory(school=world.school, name="张伟", email="zhangwei@example.com")
    core.link_guardian(world.child, father, relation="父亲", is_primary=False)
    return father


@pytest.fixture
def unactivated_guardian(world):
    grandma = core.GuardianFactory(school=world.school, name="奶奶", user=None, email="")
    core.link_guardian(world.child, grandma, relation="奶奶", is_primary=False)
    return grandma


def test_a_decision_tells_every_guardian_with_a_login(world, actors, second_guardian,
                                                      unactivated_guardian,
                                                      django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=app, to_status=Status.RETURNED,
                                        actor=actors["homeroom_teacher"], comment="请补充接送人")
        assert not Notice.objects.exists()  # nothing before the decision commits
    notices = Notice.objects.order_by("user__name")
    assert {n.user for n in notices} == {world.guardian.user, second_guardian.user}
    for notice in notices:
        assert notice.title == "张小明的课后服务意向书被退回修改"
        assert "请补充接送人" in notice.body
        assert notice.url == f"/enrollment/applications/{app.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.guardian.email,
                                                           "zhangwei@example.com"])
    assert "退回修改" in mail.outbox[0].subject
    assert ApplicationTransition.objects.get(application=app).notified_at is not None


def test_no_email_without_an_address(world, actors, django_capture_on_commit_callbacks):
    world.guardian.email = ""
    world.guardian.save()
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                        actor=actors["homeroom_teacher"])
    assert Notice.objects.filter(user=world.guardian.user).count() == 1
    assert mail.outbox == []


def test_the_guardian_who_acted_is_not_told_but_the_other_one_is(
        world, actors, agreement, second_guardian, django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, signed=agreement)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=app, actor=actors["guardian"])
    assert list(Notice.objects.values_list("user", flat=True)) == [second_guardian.user_id]


def test_sending_back_to_the_homeroom_teacher_tells_no_family(world, actors,
                                                              django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.CLASS_APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=app, to_status=Status.SUBMITTED,
                                        actor=actors["coordinator"], comment="请班主任再核对")
    assert not Notice.objects.exists()


def test_notifying_twice_sends_once(world, actors, django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                        actor=actors["homeroom_teacher"])
    row = ApplicationTransition.objects.get()
    assert services.transitions_notify(transition_ids=[row.pk]) == 0
    assert Notice.objects.count() == 1 and len(mail.outbox) == 1


def test_nothing_is_sent_before_commit(world, actors, django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.application_transition(application=app, to_status=Status.CLASS_APPROVED,
                                        actor=actors["homeroom_teacher"])
    assert len(callbacks) == 1  # queued, would run only on commit
    assert not Notice.objects.exists()


# ---------------------------------------------------------------------------- bulk

def _approved_batch(world, n):
    homeroom = world.homeroom
    return [ApplicationFactory(student=core.StudentFactory(school=world.school, homeroom=homeroom),
                               term=world.term, status=Status.SCHOOL_APPROVED, pickups=False)
            for _ in range(n)]


def test_applications_place_writes_history_in_constant_queries(world, actors,
                                                               django_capture_on_commit_callbacks):
    small = _approved_batch(world, 3)
    with CaptureQueriesContext(connection) as few:
        services.applications_place(application_ids=[a.pk for a in small],
                                    actor=actors["coordinator"], notify=False)
    large = _approved_batch(world, 40)
    with CaptureQueriesContext(connection) as many:
        services.applications_place(application_ids=[a.pk for a in large],
                                    actor=actors["coordinator"], notify=False)
    assert len(many) == len(few)
    assert Application.objects.filter(status=Status.PLACED).count() == 43
    rows = ApplicationTransition.objects.filter(to_status=Status.PLACED)
    assert rows.count() == 43
    assert set(rows.values_list("actor_role", flat=True)) == {"coordinator"}
    assert all(a.revision == 1 for a in Application.objects.all())


def test_applications_place_is_all_or_nothing(world, actors):
    batch = _approved_batch(world, 3)
    Application.objects.filter(pk=batch[1].pk).update(status=Status.CLASS_APPROVED)
    with pytest.raises(exceptions.InvalidTransition, match="不是“学校已复核，等待统筹安排”状态"):
        services.applications_place(application_ids=[a.pk for a in batch],
                                    actor=actors["coordinator"])
    assert not Application.objects.filter(status=Status.PLACED).exists()
    assert not ApplicationTransition.objects.exists()


def test_applications_place_refuses_a_homeroom_teacher_and_another_school(world, actors):
    batch = _approved_batch(world, 2)
    with pytest.raises(exceptions.InvalidTransition, match="您没有权限"):
        services.applications_place(application_ids=[a.pk for a in batch],
                                    actor=actors["homeroom_teacher"])
    with pytest.raises(exceptions.InvalidTransition):
        services.applications_place(application_ids=[a.pk for a in batch],
                                    actor=actors["foreign_coordinator"])


def test_bulk_placing_notifies_in_one_task(world, actors, monkeypatch,
                                           django_capture_on_commit_callbacks):
    from enrollment.tasks import transitions_notify_task

    batch = _approved_batch(world, 3)
    for app in batch:
        core.link_guardian(app.student, world.guardian)
    calls = []
    real_delay = transitions_notify_task.delay
    monkeypatch.setattr(transitions_notify_task, "delay",
                        lambda ids: calls.append(ids) or real_delay(ids))
    with django_capture_on_commit_callbacks(execute=True):
        services.applications_place(application_ids=[a.pk for a in batch], actor=None)
    assert len(calls) == 1 and len(calls[0]) == 3
    assert Notice.objects.filter(user=world.guardian.user).count() == 3
    assert all("已统筹安排" in n.title for n in Notice.objects.all())


def test_bulk_approve_by_the_homeroom_teacher(world, actors):
    apps = [ApplicationFactory(student=core.StudentFactory(school=world.school,
                                                           homeroom=world.homeroom),
                               term=world.term, status=Status.SUBMITTED) for _ in range(3)]
    done = services.applications_approve(actor=actors["homeroom_teacher"],
                                         expected_revisions={a.pk: a.revision for a in apps})
    assert done == 3
    assert set(Application.objects.values_list("status", flat=True)) == {Status.CLASS_APPROVED}


def test_bulk_approve_refuses_another_homeroom_and_stale_rows(world, actors):
    mine = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    theirs = ApplicationFactory(student=world.sibling, term=world.term, status=Status.SUBMITTED)
    with pytest.raises(exceptions.InvalidTransition, match="不属于您负责的学生"):
        services.applications_approve(actor=actors["homeroom_teacher"],
                                      expected_revisions={mine.pk: 0, theirs.pk: 0})
    Application.objects.filter(pk=mine.pk).update(revision=5)
    with pytest.raises(exceptions.StaleApplication, match="已被其他老师处理"):
        services.applications_approve(actor=actors["homeroom_teacher"],
                                      expected_revisions={mine.pk: 0})
    assert set(Application.objects.values_list("status", flat=True)) == {Status.SUBMITTED}


def test_bulk_approve_by_the_office_moves_each_to_its_next_step(world, actors):
    a = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    b = ApplicationFactory(student=world.sibling, term=world.term, status=Status.CLASS_APPROVED)
    services.applications_approve(actor=actors["coordinator"],
                                  expected_revisions={a.pk: a.revision, b.pk: b.revision})
    assert Application.objects.get(pk=a.pk).status == Status.CLASS_APPROVED
    assert Application.objects.get(pk=b.pk).status == Status.SCHOOL_APPROVED


@pytest.mark.postgres
def test_placing_a_whole_school_costs_the_queries_of_placing_a_class(world, actors):
    """Publishing places every approved form of the school at once: 700 rows (past any batch
    of a few hundred) in the queries of 20. On PostgreSQL, whose inserts take any number of
    rows; SQLite splits an insert every hundred or so rows by its parameter limit."""
    require_service("PostgreSQL", connection.vendor == "postgresql")

    def approved(n: int, start: int) -> list[int]:
        students = Student.objects.bulk_create([
            Student(school=world.school, student_no=f"bulk{start + i:05d}", name=f"学生{i}",
                    homeroom=world.homeroom) for i in range(n)])
        return [a.pk for a in Application.objects.bulk_create([
            Application(school=world.school, term=world.term, student=s,
                        status=Status.SCHOOL_APPROVED, participates=True,
                        weekdays=[1, 2, 3, 4])
            for s in students])]

    counts = []
    for n, start in ((20, 0), (700, 100)):
        ids = approved(n, start)
        with CaptureQueriesContext(connection) as queries:
            services.applications_place(application_ids=ids, actor=actors["coordinator"],
                                        notify=False)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert ApplicationTransition.objects.filter(to_status=Status.PLACED).count() == 720
