"""A decision committed while the broker is down still reaches the guardians (the sweep), once;
moves that tell nobody are not picked up later; 提醒未填写的家庭 at most once a day."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.models import Delivery, Notice
from afterschool.notifications import sms
from enrollment import exceptions, services
from enrollment.models import Application, ApplicationTransition
from enrollment.tasks import transitions_notify_task, transitions_sweep_task
from tests import factories as core

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6390")

    monkeypatch.setattr(transitions_notify_task, "delay", refuse)


def test_a_decision_stands_when_the_broker_is_down_and_the_sweep_tells_once(
        world, actors, broker_down, django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(application=app, to_status=Status.RETURNED,
                                        actor=actors["homeroom_teacher"], comment="请补充接送人")
    app.refresh_from_db()
    assert app.status == Status.RETURNED  # the write stands
    assert not Notice.objects.exists()
    transition = ApplicationTransition.objects.get(application=app)
    assert transition.notified_at is None
    assert transitions_sweep_task() == 0  # too fresh: its own task may still come
    ApplicationTransition.objects.filter(pk=transition.pk).update(
        at=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert transitions_sweep_task() == 1
        assert transitions_sweep_task() == 0
    notice = Notice.objects.get()
    assert notice.title == "张小明的课后服务意向书被退回修改"
    assert {d.channel for d in notice.deliveries.all()} == {"email", "sms"}  # a decision: SMS


def test_moves_that_tell_nobody_are_not_swept(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SCHOOL_APPROVED)
    services.applications_place(application_ids=[app.pk], actor=None, notify=False)
    assert ApplicationTransition.objects.get(application=app).notified_at is not None
    assert services.transitions_pending(now=timezone.now() + dt.timedelta(minutes=1)) == []


def test_old_history_is_not_notified_late(world):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    ApplicationTransition.objects.create(application=app, from_status=Status.DRAFT,
                                         to_status=Status.SUBMITTED,
                                         at=timezone.now() - dt.timedelta(days=3))
    assert services.transitions_pending() == []


@pytest.fixture(autouse=True)
def clear_sms():
    sms.outbox.clear()


def test_remind_families_once_a_day(world, actors, django_capture_on_commit_callbacks):
    # child has answered; other_child (homeroom 1) has not; sibling is in homeroom 2.
    ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.families_remind(actor=actors["homeroom_teacher"], term=world.term,
                                          students=world.homeroom.students.all())
    assert report.text("家长") == "已通知 1 位家长（站内 1，短信 1 条发送中，邮件 1 封发送中）"
    notice = Notice.objects.get()
    assert notice.user == world.other_guardian.user
    assert notice.title == "请为李华填写课后服务意向书"
    assert Delivery.objects.filter(notice=notice, channel="sms", status="sent").exists()
    assert [phone for phone, _ in sms.outbox] == [world.other_guardian.user.phone]
    again = services.families_remind(actor=actors["homeroom_teacher"], term=world.term,
                                     students=world.homeroom.students.all())
    assert again.text("家长") == "没有需要通知的家长（1 位今天已通知过）"
    assert Notice.objects.count() == 1


def test_remind_refused_outside_the_window_and_for_guardians(world, actors):
    with pytest.raises(Exception, match="您没有权限"):
        services.families_remind(actor=actors["guardian"], term=world.term,
                                 students=world.homeroom.students.all())
    world.term.application_closes_at = timezone.now() - dt.timedelta(hours=1)
    world.term.application_opens_at = timezone.now() - dt.timedelta(days=2)
    world.term.save()
    with pytest.raises(exceptions.ApplicationInvalid, match="不能提醒"):
        services.families_remind(actor=actors["coordinator"], term=world.term,
                                 students=world.homeroom.students.all())


def test_remind_view_covers_only_the_teachers_class(world, login,
                                                    django_capture_on_commit_callbacks):
    other_family = core.GuardianFactory(school=world.school)
    core.link_guardian(world.sibling, other_family)  # sibling is in homeroom 2
    client = login(world.homeroom_teacher.user)
    page = client.get(reverse("enrollment:review") + "?bucket=unanswered").content.decode()
    assert "提醒未填写的家庭" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enrollment:remind"), follow=True)
    assert "已通知 2 位家长" in response.content.decode()  # 王丽 (张小明) and 李强 (李华)
    assert set(Notice.objects.values_list("user", flat=True)) == {
        world.guardian.user.pk, world.other_guardian.user.pk}
    assert login(world.guardian.user).post(reverse("enrollment:remind")).status_code == 403
