"""Issue 15, consent: the school's notice, the guardian's two separate consents, withdrawal.

The test world's children have consented to notice v1 (tests/conftest.py); a fresh child of the
same guardian has not, which is what most tests here start from.
"""

import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from afterschool.access import actor_for
from enrollment import exceptions, selectors, services
from enrollment.models import Application, ApplicationTransition, PrivacyConsent, PrivacyNotice
from enrollment.services import privacy
from tests import factories as core
from tests.conftest import require_service

from .factories import AgreementFactory, ApplicationFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
Kind = PrivacyConsent.Kind


@pytest.fixture
def guardian(world):
    return actor_for(world.guardian.user, world.school)


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def child(world):
    """A child of the world's guardian who has not consented to anything yet."""
    student = core.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    core.link_guardian(student, world.guardian)
    return student


def _draft(world, student, **kwargs):
    agreement = AgreementFactory(term=world.term, version=1)
    return ApplicationFactory(student=student, term=world.term, signed=agreement, **kwargs)


def _update(app, actor, **kwargs):
    content = {"participates": True, "weekdays": [1, 2], "dismissal": "picked_up",
               "pickup_persons": [{"name": "张爷爷", "relation": "爷爷", "phone": "13900139000"}],
               "contact_phone": "13800138000"}
    content.update(kwargs)
    return services.application_update(application=app, actor=actor,
                                       expected_revision=app.revision, **content)


# ---------------------------------------------------------------------------- submitting

def test_a_participating_form_is_not_submitted_without_consent(world, guardian, child):
    app = _draft(world, child)
    with pytest.raises(exceptions.ConsentMissing) as refused:
        services.application_submit(application=app, actor=guardian)
    assert refused.value.message == exceptions.CONSENT_REQUIRED
    assert refused.value.field == "consent_personal"
    assert Application.objects.get(pk=app.pk).status == Status.DRAFT

    services.privacy_consent_give(student=child, actor=guardian, personal=True,
                                  ip_address="10.1.2.3")
    assert services.application_submit(application=app, actor=guardian).status == Status.SUBMITTED
    consent = PrivacyConsent.objects.get(student=child)
    notice = selectors.current_notice(world.school)
    assert (consent.kind, consent.notice, consent.guardian, consent.given_by, consent.ip_address) \
        == (Kind.PERSONAL, notice, world.guardian, world.guardian.user, "10.1.2.3")


def test_consent_ticked_on_the_form_is_recorded_with_the_submission(world, guardian, child):
    app = _draft(world, child, participates=None)
    result = services.application_save_and_submit(
        application=app, actor=guardian, expected_revision=app.revision, participates=True,
        weekdays=[1], dismissal="alone", alone_consent=True, contact_phone="13800138000",
        consent_personal=True, ip_address="10.0.0.8")
    assert result.submitted, result.refused
    assert list(PrivacyConsent.objects.filter(student=child).values_list(
        "kind", "ip_address")) == [(Kind.PERSONAL, "10.0.0.8")]


def test_saying_no_needs_no_consent(world, guardian, child):
    app = _draft(world, child, participates=False, dismissal="", pickups=False)
    assert services.application_submit(application=app, actor=guardian).status == Status.SUBMITTED
    assert not PrivacyConsent.objects.filter(student=child).exists()


def test_without_a_published_notice_nothing_is_submitted(db):
    school = core.SchoolFactory(code="nonotice")
    term = core.TermFactory(school=school)
    student = core.StudentFactory(school=school)
    family = core.GuardianFactory(school=school, name="周敏")
    core.link_guardian(student, family)
    actor = actor_for(family.user, school)
    app = ApplicationFactory(student=student, term=term,
                             signed=AgreementFactory(term=term, version=1))
    with pytest.raises(exceptions.ConsentMissing) as refused:
        services.application_submit(application=app, actor=actor)
    assert refused.value.message == exceptions.NOTICE_MISSING
    with pytest.raises(exceptions.ConsentMissing):
        services.privacy_consent_give(student=student, actor=actor, personal=True)


def test_bulk_submission_checks_every_childs_consent(world, guardian, child):
    ready = _draft(world, world.child)
    not_ready = ApplicationFactory(student=child, term=world.term,
                                   signed=ready.signatures.get().agreement)
    with pytest.raises(exceptions.ConsentMissing):
        services.applications_transition_bulk(application_ids=[ready.pk, not_ready.pk],
                                              to_status=Status.SUBMITTED, actor=guardian)
    assert set(Application.objects.filter(pk__in=[ready.pk, not_ready.pk])
               .values_list("status", flat=True)) == {Status.DRAFT}


# ---------------------------------------------------------------------------- sensitive part

def test_health_notes_and_allergies_are_refused_without_the_sensitive_consent(
        world, guardian, child):
    app = _draft(world, child)
    services.privacy_consent_give(student=child, actor=guardian, personal=True)
    with pytest.raises(exceptions.ConsentMissing) as refused:
        _update(app, guardian, allergies="花生")
    assert refused.value.message == exceptions.SENSITIVE_CONSENT_REQUIRED
    assert refused.value.field == "consent_sensitive"
    app.refresh_from_db()
    assert app.allergies == "" and app.revision == 0

    saved = _update(app, guardian, allergies="花生", health_notes="轻度哮喘",
                    consent_sensitive=True)
    assert (saved.allergies, saved.health_notes) == ("花生", "轻度哮喘")
    assert set(PrivacyConsent.objects.filter(student=child, withdrawn_at__isnull=True)
               .values_list("kind", flat=True)) == {Kind.PERSONAL, Kind.SENSITIVE}


def test_the_sensitive_part_needs_the_personal_one(world, guardian, child):
    with pytest.raises(exceptions.ConsentMissing) as refused:
        services.privacy_consent_give(student=child, actor=guardian, sensitive=True)
    assert refused.value.message == exceptions.SENSITIVE_NEEDS_PERSONAL
    assert not PrivacyConsent.objects.filter(student=child).exists()


def test_a_form_without_health_information_needs_no_sensitive_consent(world, guardian, child):
    app = _draft(world, child)
    services.privacy_consent_give(student=child, actor=guardian, personal=True)
    saved = _update(app, guardian)
    assert services.application_submit(application=saved, actor=guardian).status \
        == Status.SUBMITTED


# ---------------------------------------------------------------------------- new version

def test_a_new_notice_version_asks_again_and_keeps_the_old_consents(world, guardian, office):
    app = _draft(world, world.child, allergies="花生")
    v1 = selectors.current_notice(world.school)
    v2 = services.privacy_notice_publish(school=world.school, actor=office,
                                         text="第二版正文", sensitive_text="第二版敏感部分")
    assert (v2.version, selectors.current_notice(world.school)) == (2, v2)

    with pytest.raises(exceptions.ConsentMissing) as refused:
        services.application_submit(application=app, actor=guardian)
    assert refused.value.message == exceptions.CONSENT_RENEW.format(version=2)
    # Editing keeps the allergies only under a consent to the new version's sensitive part.
    with pytest.raises(exceptions.ConsentMissing):
        _update(app, guardian, allergies="花生", consent_personal=True)
    state = selectors.consent_state(world.child, v2)
    assert state.personal_outdated and state.sensitive_outdated and not state.has_personal

    saved = _update(app, guardian, allergies="花生", consent_personal=True,
                    consent_sensitive=True)
    assert services.application_submit(application=saved, actor=guardian).status \
        == Status.SUBMITTED
    versions = sorted(PrivacyConsent.objects.filter(student=world.child)
                      .values_list("notice__version", "kind"))
    assert versions == [(1, Kind.PERSONAL), (1, Kind.SENSITIVE), (2, Kind.PERSONAL),
                        (2, Kind.SENSITIVE)]
    assert PrivacyNotice.objects.filter(pk=v1.pk).exists()


def test_only_the_office_publishes_and_the_text_is_required(world, guardian, office):
    with pytest.raises(exceptions.EnrollmentError):
        services.privacy_notice_publish(school=world.school, actor=guardian, text="x",
                                        sensitive_text="y")
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    with pytest.raises(exceptions.EnrollmentError):
        services.privacy_notice_publish(school=world.school, actor=foreign, text="x",
                                        sensitive_text="y")
    with pytest.raises(exceptions.ApplicationInvalid) as refused:
        services.privacy_notice_publish(school=world.school, actor=office, text="正文",
                                        sensitive_text="  ")
    assert refused.value.message == exceptions.NOTICE_TEXT_REQUIRED
    assert PrivacyNotice.objects.filter(school=world.school).count() == 1


# ---------------------------------------------------------------------------- withdrawal

def test_withdrawing_the_sensitive_part_clears_health_information_at_once(world, guardian):
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED,
                             health_notes="轻度哮喘", allergies="花生")
    result = services.privacy_consent_withdraw(student=world.child, actor=guardian,
                                               kind=Kind.SENSITIVE, reason="不希望保存健康信息",
                                               ip_address="10.9.9.9")
    app.refresh_from_db()
    assert (app.health_notes, app.allergies, app.status) == ("", "", Status.SUBMITTED)
    assert app.revision == 1 and result.health_cleared == 1
    assert result.applications_withdrawn == []
    sensitive = PrivacyConsent.objects.get(student=world.child, kind=Kind.SENSITIVE)
    assert sensitive.withdrawn_at is not None and sensitive.withdrawn_by == world.guardian.user
    assert (sensitive.withdrawn_guardian, sensitive.withdraw_reason,
            sensitive.withdraw_ip_address) == (world.guardian, "不希望保存健康信息", "10.9.9.9")
    # The personal part stands: the child keeps taking part.
    assert PrivacyConsent.objects.get(student=world.child, kind=Kind.PERSONAL).withdrawn_at \
        is None
    # Writing them again needs a new consent.
    with pytest.raises(exceptions.ConsentMissing):
        privacy.require_sensitive_consent(student=world.child, health_notes="",
                                          allergies="花生")


def test_withdrawing_the_personal_part_ends_participation(world, guardian):
    app = ApplicationFactory(student=world.child, term=world.term,
                             status=Status.SCHOOL_APPROVED, allergies="花生")
    other = ApplicationFactory(student=world.other_child, term=world.term,
                               status=Status.SCHOOL_APPROVED)
    result = services.privacy_consent_withdraw(student=world.child, actor=guardian,
                                               kind=Kind.PERSONAL, reason="孩子转学")
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN and app.withdrawn_on == timezone.localdate()
    assert app.withdraw_reason == f"{privacy.WITHDRAW_PREFIX}孩子转学"
    assert app.allergies == ""
    move = ApplicationTransition.objects.get(application=app)
    assert (move.from_status, move.to_status, move.actor) == (
        Status.SCHOOL_APPROVED, Status.WITHDRAWN, world.guardian.user)
    assert [a.pk for a in result.applications_withdrawn] == [app.pk]
    # Both parts are withdrawn, neither deleted.
    rows = PrivacyConsent.objects.filter(student=world.child)
    assert rows.count() == 2 and not rows.filter(withdrawn_at__isnull=True).exists()
    assert Application.objects.get(pk=other.pk).status == Status.SCHOOL_APPROVED


def test_withdrawal_needs_a_reason_a_guardian_and_a_standing_consent(world, guardian):
    with pytest.raises(exceptions.ApplicationInvalid) as refused:
        services.privacy_consent_withdraw(student=world.child, actor=guardian,
                                          kind=Kind.PERSONAL, reason="  ")
    assert refused.value.message == exceptions.CONSENT_WITHDRAW_REASON_REQUIRED
    stranger = actor_for(world.other_guardian.user, world.school)
    with pytest.raises(exceptions.NotAGuardian):
        services.privacy_consent_withdraw(student=world.child, actor=stranger,
                                          kind=Kind.PERSONAL, reason="x")
    assert not PrivacyConsent.objects.filter(student=world.child,
                                             withdrawn_at__isnull=False).exists()
    services.privacy_consent_withdraw(student=world.child, actor=guardian, kind=Kind.SENSITIVE,
                                      reason="不需要")
    with pytest.raises(exceptions.EnrollmentError) as again:
        services.privacy_consent_withdraw(student=world.child, actor=guardian,
                                          kind=Kind.SENSITIVE, reason="不需要")
    assert again.value.message == exceptions.CONSENT_NOT_STANDING


def test_consenting_again_after_withdrawal_keeps_the_history(world, guardian):
    services.privacy_consent_withdraw(student=world.child, actor=guardian, kind=Kind.PERSONAL,
                                      reason="再想想")
    services.privacy_consent_give(student=world.child, actor=guardian, personal=True)
    history = list(selectors.consents_of(student=world.child).filter(kind=Kind.PERSONAL))
    assert len(history) == 2
    assert history[0].withdrawn_at is None and history[1].withdrawn_at is not None
    assert selectors.consent_state(world.child,
                                   selectors.current_notice(world.school)).has_personal


def test_consents_of_a_guardian_are_their_childrens_only(world):
    mine = set(selectors.consents_of(guardian=world.guardian).values_list("student_id",
                                                                            flat=True))
    assert mine == {world.child.pk, world.sibling.pk}
    assert selectors.consents_of().count() == 0


# ---------------------------------------------------------------------------- at once

def test_one_standing_consent_per_child_part_and_version(world):
    notice = selectors.current_notice(world.school)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivacyConsent.objects.create(student=world.child, notice=notice, kind=Kind.PERSONAL)
    # A withdrawn one does not count: the history may hold many.
    PrivacyConsent.objects.filter(student=world.child, kind=Kind.PERSONAL).update(
        withdrawn_at=timezone.now(), withdraw_reason="测试")
    PrivacyConsent.objects.create(student=world.child, notice=notice, kind=Kind.PERSONAL)


def test_giving_twice_keeps_the_first_row(world, guardian, child):
    first = services.privacy_consent_give(student=child, actor=guardian, personal=True)
    second = services.privacy_consent_give(student=child, actor=guardian, personal=True)
    assert [c.pk for c in first] == [c.pk for c in second]
    assert PrivacyConsent.objects.filter(student=child).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_once_records_one_consent(world, monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    student = core.StudentFactory(school=world.school, homeroom=world.homeroom, name="陈小雨")
    core.link_guardian(student, world.guardian)
    actor = actor_for(world.guardian.user, world.school)
    real = privacy.standing_kinds

    def slowed(**kwargs):
        # Both requests find nothing standing before either inserts.
        result = real(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(privacy, "standing_kinds", slowed)
    barrier = threading.Barrier(2)
    results = []

    def give():
        try:
            barrier.wait(timeout=10)
            results.append(services.privacy_consent_give(student=student, actor=actor,
                                                         personal=True)[0].pk)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=give) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1], results
    assert PrivacyConsent.objects.filter(student=student).count() == 1


# ---------------------------------------------------------------------------- the demo

def test_the_demo_publishes_the_notice_and_records_the_families_consents(db):
    from enrollment.demo import build_demo_applications

    school = core.SchoolFactory(code="demo-privacy")
    term = core.TermFactory(school=school)
    homeroom = core.HomeroomFactory(school=school, number=1)
    for _ in range(30):
        student = core.StudentFactory(school=school, homeroom=homeroom)
        core.link_guardian(student, core.GuardianFactory(school=school))
    made = build_demo_applications(school=school)
    assert made == 15
    notice = selectors.current_notice(school)
    assert notice.version == 1 and "我们收集哪些信息" in notice.text
    answered = Application.objects.filter(term=term).exclude(status=Status.DRAFT)
    consented = set(PrivacyConsent.objects.filter(notice=notice, kind=Kind.PERSONAL)
                    .values_list("student_id", flat=True))
    assert answered.exists() and set(answered.values_list("student_id", flat=True)) <= consented
    with_health = Application.objects.filter(term=term).exclude(allergies="", health_notes="")
    sensitive = set(PrivacyConsent.objects.filter(notice=notice, kind=Kind.SENSITIVE)
                    .values_list("student_id", flat=True))
    assert set(with_health.values_list("student_id", flat=True)) <= sensitive
    # Run again: nothing doubled.
    assert build_demo_applications(school=school) == 0
    assert PrivacyNotice.objects.filter(school=school).count() == 1
