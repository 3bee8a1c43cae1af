"""A family that withdrew comes back while the window is open: the same form, history kept."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from enrollment import exceptions, services
from enrollment.models import Application, ApplicationTransition

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _withdrawn(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SCHOOL_APPROVED,
                             signed=agreement)
    return services.application_withdraw(application=app, actor=actors["guardian"],
                                         withdrawn_on=timezone.localdate(), reason="老人可以接送")


def test_rejoining_reopens_the_same_form_as_a_draft_and_keeps_the_history(world, actors,
                                                                           agreement):
    app = _withdrawn(world, actors, agreement)
    weekdays = app.weekdays
    app = services.application_rejoin(application=app, actor=actors["guardian"])
    app.refresh_from_db()
    assert (app.status, app.withdrawn_on, app.withdraw_reason) == (Status.DRAFT, None, "")
    assert app.weekdays == weekdays  # what was filled in before is kept to be checked
    history = list(ApplicationTransition.objects.filter(application=app)
                   .values_list("from_status", "to_status", "comment", "actor_role"))
    assert history == [(Status.SCHOOL_APPROVED, Status.WITHDRAWN, "老人可以接送", "guardian"),
                       (Status.WITHDRAWN, Status.DRAFT, "", "guardian")]
    # Still one form for this student and term: the constraint holds.
    assert Application.objects.filter(student=world.child, term=world.term).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(school=world.school, term=world.term, student=world.child)

    # …and it goes through review again from the start.
    app = services.application_submit(application=app, actor=actors["guardian"])
    assert app.status == Status.SUBMITTED


def test_rejoining_is_refused_once_the_window_has_closed(world, actors, agreement):
    app = _withdrawn(world, actors, agreement)
    now = timezone.now()
    world.term.application_opens_at = now - dt.timedelta(days=9)
    world.term.application_closes_at = now - dt.timedelta(days=2)
    world.term.save()
    app.term.refresh_from_db()
    with pytest.raises(exceptions.WindowClosed, match="已截止"):
        services.application_rejoin(application=app, actor=actors["guardian"])
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


@pytest.mark.parametrize("who", ["coordinator", "homeroom_teacher", "other_guardian"])
def test_only_the_childs_guardian_may_rejoin(world, actors, agreement, who):
    app = _withdrawn(world, actors, agreement)
    with pytest.raises(exceptions.InvalidTransition):
        services.application_rejoin(application=app, actor=actors[who])
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.CLASS_REJECTED, Status.PLACED])
def test_only_a_withdrawn_form_can_be_rejoined(world, actors, status):
    app = ApplicationFactory(student=world.child, term=world.term, status=status)
    with pytest.raises(exceptions.InvalidTransition):
        services.application_rejoin(application=app, actor=actors["guardian"])


def test_the_detail_page_offers_rejoining_and_the_button_reopens_the_form(world, actors,
                                                                            agreement, login):
    app = _withdrawn(world, actors, agreement)
    client = login(world.guardian.user)
    detail = reverse("enrollment:detail", args=[app.pk])
    assert "重新参加课后服务" in client.get(detail).content.decode()
    response = client.post(reverse("enrollment:rejoin", args=[app.pk]),
                           {"revision": app.revision})
    assert response["Location"] == reverse("enrollment:edit", args=[app.pk])
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    page = client.get(detail).content.decode()
    assert "重新参加课后服务" not in page and "老人可以接送" in page  # the history shows it


def test_the_page_does_not_offer_rejoining_when_the_window_is_closed(world, actors, agreement,
                                                                     login):
    app = _withdrawn(world, actors, agreement)
    world.term.application_closes_at = timezone.now() - dt.timedelta(minutes=1)
    world.term.save()
    client = login(world.guardian.user)
    assert "重新参加课后服务" not in client.get(
        reverse("enrollment:detail", args=[app.pk])).content.decode()
    response = client.post(reverse("enrollment:rejoin", args=[app.pk]),
                           {"revision": app.revision})
    assert response["Location"] == reverse("enrollment:detail", args=[app.pk])
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


@pytest.mark.parametrize("who,status", [("homeroom_teacher", 403), ("other_guardian", 404)])
def test_rejoining_by_others_is_refused_on_the_page(world, actors, agreement, login, who, status):
    app = _withdrawn(world, actors, agreement)
    user = {"homeroom_teacher": world.homeroom_teacher.user,
            "other_guardian": world.other_guardian.user}[who]
    response = login(user).post(reverse("enrollment:rejoin", args=[app.pk]),
                                {"revision": app.revision})
    assert response.status_code == status
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
