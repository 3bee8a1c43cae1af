"""Starting, filling in, signing and withdrawing: the guardian's side of the services."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from afterschool.formatting import moment_text
from enrollment import exceptions, services
from enrollment.models import Application, ApplicationTransition, PickupPerson, Signature
from enrollment.signals import application_withdrawn
from tests.courses.factories import CourseFactory

from .factories import AgreementFactory, ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def fill(app, actor, **overrides):
    data = {"participates": True, "weekdays": [1, 3], "preferences": [], "dismissal": "picked_up",
            "pickup_persons": [{"name": "张爷爷", "relation": "爷爷", "phone": "139 0013 9000"}],
            "contact_phone": "+86 138-0013-8000", "expected_revision": app.revision}
    data.update(overrides)
    return services.application_update(application=app, actor=actor, **data)


# ---------------------------------------------------------------------------- the window

def _set_window(term, opens, closes):
    term.application_opens_at, term.application_closes_at = opens, closes
    term.save()


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_window_refuses_start_edit_and_submit_with_its_dates(world, actors, agreement, when):
    now = timezone.now()
    term = world.term
    app = ApplicationFactory(student=world.sibling, term=term, signed=agreement)
    if when == "before":
        _set_window(term, now + dt.timedelta(days=2), now + dt.timedelta(days=9))
    else:
        _set_window(term, now - dt.timedelta(days=9), now - dt.timedelta(days=2))
    opens = moment_text(term.application_opens_at)
    closes = moment_text(term.application_closes_at)
    template = exceptions.WINDOW_NOT_OPEN if when == "before" else exceptions.WINDOW_CLOSED
    expected = template.format(opens=opens, closes=closes)
    assert opens in expected and "年" in opens
    with pytest.raises(exceptions.WindowClosed) as caught:
        services.application_start(student=world.child, term=term, actor=actors["guardian"])
    assert caught.value.message == expected
    with pytest.raises(exceptions.WindowClosed, match=opens):
        fill(app, actors["guardian"])
    with pytest.raises(exceptions.WindowClosed, match=closes):
        services.application_submit(application=app, actor=actors["guardian"])
    assert not Application.objects.filter(student=world.child).exists()


def test_no_window_set_says_so(world, actors):
    _set_window(world.term, None, None)
    with pytest.raises(exceptions.WindowClosed, match=exceptions.WINDOW_NOT_SET):
        services.application_start(student=world.child, term=world.term, actor=actors["guardian"])


def test_a_returned_form_may_be_corrected_after_the_window_closes(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.RETURNED,
                             signed=agreement)
    now = timezone.now()
    _set_window(world.term, now - dt.timedelta(days=9), now - dt.timedelta(days=2))
    app = fill(app, actors["guardian"], weekdays=[1])
    app = services.application_submit(application=app, actor=actors["guardian"])
    assert app.status == Status.SUBMITTED


# ---------------------------------------------------------------------------- starting

def test_start_creates_one_per_student_and_term(world, actors):
    first = services.application_start(student=world.child, term=world.term,
                                       actor=actors["guardian"])
    again = services.application_start(student=world.child, term=world.term,
                                       actor=actors["guardian"])
    assert first.pk == again.pk and first.status == Status.DRAFT
    assert first.created_by == world.guardian.user
    assert first.contact_phone == world.guardian.phone


def test_start_refuses_someone_elses_child(world, actors):
    with pytest.raises(exceptions.NotAGuardian):
        services.application_start(student=world.other_child, term=world.term,
                                   actor=actors["guardian"])
    with pytest.raises(exceptions.NotAGuardian):
        services.application_start(student=world.child, term=world.term,
                                   actor=actors["homeroom_teacher"])


def test_the_database_refuses_a_second_application(world):
    ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(IntegrityError):
        ApplicationFactory(student=world.child, term=world.term)


def test_start_refetches_when_the_insert_loses_a_race(world, actors, monkeypatch):
    """The path a double-clicked submit takes: the SELECT found nothing, the INSERT collides."""
    winner = ApplicationFactory(student=world.child, term=world.term)
    real_filter = Application.objects.filter
    calls = {"n": 0}

    def first_finds_nothing(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(Application.objects, "filter", first_finds_nothing)
    got = services.application_start(student=world.child, term=world.term,
                                     actor=actors["guardian"])
    assert got.pk == winner.pk
    assert Application.objects.count() == 1


# ---------------------------------------------------------------------------- filling in

def test_update_normalises_and_replaces_children(world, actors, courses):
    app = services.application_start(student=world.child, term=world.term,
                                     actor=actors["guardian"])
    app = fill(app, actors["guardian"], preferences=[courses[2], courses[0]])
    assert app.contact_phone == "13800138000"
    assert [p.course for p in app.preferences.order_by("rank")] == [courses[2], courses[0]]
    assert list(app.pickup_persons.values_list("phone", flat=True)) == ["13900139000"]
    app = fill(app, actors["guardian"], participates=False)
    assert app.weekdays == [] and app.dismissal == "" and not app.preferences.exists()
    assert not PickupPerson.objects.filter(application=app).exists()
    assert app.participates is False


@pytest.mark.parametrize("overrides,message", [
    ({"contact_phone": "12345"}, exceptions.PHONE_INVALID),
    ({"weekdays": [5]}, "不是本学期的服务日"),
    ({"dismissal": "alone", "alone_consent": False}, exceptions.ALONE_NEEDS_CONSENT),
    ({"dismissal": "bus", "bus_route": ""}, exceptions.BUS_NEEDS_ROUTE),
    ({"pickup_persons": [{"name": "张爷爷", "relation": "", "phone": "13900139000"}]},
     exceptions.PICKUP_PERSON_INCOMPLETE),
])
def test_update_refuses_broken_rules(world, actors, overrides, message):
    app = ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(exceptions.ApplicationInvalid, match=message):
        fill(app, actors["guardian"], **overrides)


def test_preferences_are_limited_unique_and_open_to_the_grade(world, actors, courses):
    app = ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(exceptions.ApplicationInvalid, match="最多可填报 3 个志愿"):
        fill(app, actors["guardian"], preferences=courses[:4])
    with pytest.raises(exceptions.ApplicationInvalid, match=exceptions.DUPLICATE_PREFERENCE):
        fill(app, actors["guardian"], preferences=[courses[0], courses[0]])
    other_grade = CourseFactory(term=world.term, name="高年级社团", grades=[])
    fixed = CourseFactory(term=world.term, name="阅读写字", is_fixed=True,
                          grades=[world.homeroom.grade])
    closed = CourseFactory(term=world.term, name="停开社团", is_active=False,
                           grades=[world.homeroom.grade])
    for course in (other_grade, fixed, closed):
        with pytest.raises(exceptions.ApplicationInvalid, match="不是面向该年级开放的课程"):
            fill(app, actors["guardian"], preferences=[course])


def test_a_stale_edit_cannot_overwrite_a_decision(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, signed=agreement)
    seen = app.revision
    app = services.application_submit(application=app, actor=actors["guardian"])
    app = services.application_transition(application=app, to_status=Status.RETURNED,
                                          actor=actors["homeroom_teacher"], comment="请补充")
    # The guardian still has the page from before submitting open, and saves it.
    with pytest.raises(exceptions.StaleApplication) as caught:
        fill(app, actors["guardian"], expected_revision=seen)
    expected = exceptions.STALE_FOR_GUARDIAN.format(status=Status.RETURNED.label)
    assert caught.value.message == expected
    app.refresh_from_db()
    assert app.status == Status.RETURNED and app.decision_comment == "请补充"


def test_a_submitted_form_is_not_editable(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    with pytest.raises(exceptions.NotEditable):
        fill(app, actors["guardian"])


# ---------------------------------------------------------------------------- signing

def test_signature_records_version_name_time_and_address(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term)
    before = timezone.now()
    sig = services.application_sign(application=app, actor=actors["guardian"],
                                    signed_name=" 王 丽 ", ip_address="10.1.2.3")
    assert (sig.agreement, sig.signed_name, sig.ip_address, sig.signed_by) == (
        agreement, "王丽", "10.1.2.3", world.guardian.user)
    assert before <= sig.signed_at <= timezone.now()
    again = services.application_sign(application=app, actor=actors["guardian"],
                                      signed_name="王丽", ip_address="10.9.9.9")
    assert again.pk == sig.pk and Signature.objects.count() == 1


@pytest.mark.parametrize("name,message", [("", exceptions.SIGNATURE_NAME_REQUIRED),
                                          ("李强", "须与您在学校登记的姓名“王丽”一致")])
def test_signature_must_be_the_signed_in_guardians_name(world, actors, agreement, name, message):
    app = ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(exceptions.SignatureRefused, match=message):
        services.application_sign(application=app, actor=actors["guardian"], signed_name=name)


def test_only_a_guardian_of_the_child_signs(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(exceptions.NotAGuardian):
        services.application_sign(application=app, actor=actors["other_guardian"],
                                  signed_name="李强")


def test_a_new_agreement_version_must_be_signed_again(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.RETURNED,
                             signed=agreement)
    v2 = services.agreement_publish(term=world.term, actor=actors["coordinator"],
                                    service_text="新协议", safety_text="新责任书")
    assert v2.version == 2
    with pytest.raises(exceptions.AgreementNotSigned) as caught:
        services.application_submit(application=app, actor=actors["guardian"])
    assert caught.value.message == exceptions.AGREEMENT_RESIGN
    sig = services.application_sign(application=app, actor=actors["guardian"],
                                    signed_name="王丽")
    assert sig.agreement == v2
    assert services.application_submit(application=app, actor=actors["guardian"]).status == \
        Status.SUBMITTED


def test_submit_without_any_signature_or_agreement(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term)
    with pytest.raises(exceptions.AgreementNotSigned, match=exceptions.AGREEMENT_MISSING):
        services.application_submit(application=app, actor=actors["guardian"])
    AgreementFactory(term=world.term, version=1)
    with pytest.raises(exceptions.AgreementNotSigned, match=exceptions.AGREEMENT_UNSIGNED):
        services.application_submit(application=app, actor=actors["guardian"])


# ---------------------------------------------------------------------------- sign and submit

def test_save_and_submit_saves_signs_and_submits_in_one_call(world, actors, agreement):
    app = ApplicationFactory(student=world.child, term=world.term, participates=None)
    data = {"participates": True, "weekdays": [1, 3], "dismissal": "alone", "alone_consent": True,
            "contact_phone": "13800138000", "expected_revision": app.revision}
    result = services.application_save_and_submit(application=app, actor=actors["guardian"],
                                                   signed_name="王丽", ip_address="10.0.0.1",
                                                   **data)
    assert result.submitted and result.application.status == Status.SUBMITTED
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.weekdays == [1, 3]
    assert Signature.objects.get(application=app).ip_address == "10.0.0.1"


def test_save_and_submit_keeps_the_content_when_the_submission_is_refused(world, actors,
                                                                         agreement):
    app = ApplicationFactory(student=world.child, term=world.term, participates=None)
    result = services.application_save_and_submit(
        application=app, actor=actors["guardian"], signed_name="李强", participates=True,
        weekdays=[2], dismissal="alone", alone_consent=True, contact_phone="13800138000",
        expected_revision=app.revision)
    assert not result.submitted and isinstance(result.refused, exceptions.SignatureRefused)
    app.refresh_from_db()
    assert (app.status, app.weekdays) == (Status.DRAFT, [2])
    assert app.revision == result.application.revision
    assert not Signature.objects.filter(application=app).exists()
    assert not ApplicationTransition.objects.filter(application=app).exists()
    # A declined form needs no signature; content the rules refuse raises and saves nothing.
    with pytest.raises(exceptions.ApplicationInvalid):
        services.application_save_and_submit(
            application=app, actor=actors["guardian"], participates=True, weekdays=[2],
            dismissal="alone", alone_consent=False, expected_revision=app.revision)
    declined = services.application_save_and_submit(
        application=app, actor=actors["guardian"], participates=False,
        expected_revision=app.revision)
    assert declined.submitted and declined.application.status == Status.SUBMITTED


def test_only_the_office_publishes_agreements(world, actors):
    for name in ("homeroom_teacher", "principal", "guardian", "foreign_coordinator"):
        with pytest.raises(exceptions.EnrollmentError, match=exceptions.COORDINATOR_ONLY):
            services.agreement_publish(term=world.term, actor=actors[name], service_text="x",
                                       safety_text="y")


# ---------------------------------------------------------------------------- withdrawing

WITHDRAWABLE = [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.CLASS_APPROVED,
                Status.SCHOOL_APPROVED, Status.PLACED]


@pytest.mark.parametrize("status", WITHDRAWABLE)
@pytest.mark.parametrize("who", ["guardian", "coordinator"])
def test_withdraw_from_each_allowed_state(world, actors, status, who,
                                          django_capture_on_commit_callbacks):
    app = ApplicationFactory(student=world.child, term=world.term, status=status)
    received = []

    def listener(sender, application, **kwargs):
        received.append((application.pk, application.withdrawn_on))

    application_withdrawn.connect(listener)
    try:
        when = timezone.localdate() + dt.timedelta(days=3)
        with django_capture_on_commit_callbacks(execute=True):
            app = services.application_withdraw(application=app, actor=actors[who],
                                                withdrawn_on=when, reason="家里老人接送")
            assert received == []  # sent only once committed
    finally:
        application_withdrawn.disconnect(listener)
    assert (app.status, app.withdrawn_on, app.withdraw_reason) == (Status.WITHDRAWN, when, "家里老人接送")
    assert received == [(app.pk, when)]
    row = ApplicationTransition.objects.get(application=app)
    assert (row.from_status, row.comment, row.actor_role) == (status, "家里老人接送", who)


@pytest.mark.parametrize("status",
                         [Status.CLASS_REJECTED, Status.SCHOOL_REJECTED, Status.WITHDRAWN])
def test_withdraw_refused_from_rejections_and_twice(world, actors, status):
    app = ApplicationFactory(student=world.child, term=world.term, status=status)
    with pytest.raises(exceptions.InvalidTransition, match="不能改为“已退出”"):
        services.application_withdraw(application=app, actor=actors["guardian"],
                                      withdrawn_on=timezone.localdate(), reason="不需要了")


def test_withdraw_needs_a_date_not_in_the_past_and_a_reason(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(exceptions.ApplicationInvalid, match="不能早于今天"):
        services.application_withdraw(application=app, actor=actors["guardian"],
                                      withdrawn_on=yesterday, reason="不需要了")
    with pytest.raises(exceptions.InvalidTransition, match="请填写“退出课后服务”的原因"):
        services.application_withdraw(application=app, actor=actors["guardian"],
                                      withdrawn_on=timezone.localdate(), reason="")
    with pytest.raises(exceptions.ApplicationInvalid, match=exceptions.WITHDRAW_DATE_REQUIRED):
        services.application_withdraw(application=app, actor=actors["guardian"],
                                      withdrawn_on=None, reason="不需要了")
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_withdraw_by_someone_else_is_refused(world, actors):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    for name in ("other_guardian", "homeroom_teacher", "principal"):
        with pytest.raises(exceptions.InvalidTransition):
            services.application_withdraw(application=app, actor=actors[name],
                                          withdrawn_on=timezone.localdate(), reason="x")


def test_form_links_to_the_catalog_of_the_childs_grade(world, login):
    from django.urls import reverse

    from tests.courses.factories import CourseFactory

    CourseFactory(school=world.school, term=world.term, grades=[world.homeroom.grade])
    client = login(world.guardian.user)
    client.post(reverse("enrollment:start", args=[world.child.pk]))
    from enrollment.models import Application

    app = Application.objects.get(student=world.child, term=world.term)
    body = client.get(reverse("enrollment:edit", args=[app.pk])).content.decode()
    link = f'{reverse("courses:catalog_browse")}?student={world.child.pk}'
    assert link in body
    assert client.get(link).status_code == 200
