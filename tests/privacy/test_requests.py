"""Correction and deletion requests: the state machine and its history, the legal reasons, who
may move them; deletion anonymises the child (and a guardian with no other child) while the
monthly 公示 and the dashboards' figures stay exactly the same."""

import datetime as dt

import pytest
from django.utils import timezone

from afterschool.models import Notice, User
from attendance.models import (
    AbsenceAlert,
    AttendanceRecord,
    Dismissal,
    DutyHandover,
    LeaveRequest,
    PickupChange,
    PickupCode,
)
from dashboards import models as dash
from dashboards.aggregates import rebuild
from enrollment.models import Application, PickupPerson, PrivacyConsent, Signature
from evaluation.services.publications import month_content
from privacy import exceptions as e
from privacy import services
from privacy.anonymise import ERASED
from privacy.models import DataRequest, DataRequestChange
from surveys.models import SurveyAnswer
from tests import factories as f
from tests.enrollment.factories import ApplicationFactory

from .builders import OTHER, guardian_actor, office_actor, two_families

pytestmark = pytest.mark.django_db
S = DataRequest.Status
NOV = dt.date(2024, 11, 1)


def ask(world, kind="deletion", student=None, text="请删除孩子的信息", guardian=None):
    actor = guardian_actor(world, guardian)
    return services.data_request_create(actor=actor, kind=kind, text=text,
                                        student=student if student is not None else world.child)


def test_a_guardian_asks_and_the_office_is_told(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = ask(world, "correction", text="孩子的过敏史应为“芒果过敏”")
    assert (request.status, request.kind, request.student, request.guardian) == (
        S.PENDING, "correction", world.child, world.guardian)
    notice = Notice.objects.get(user=world.coordinator)
    assert notice.title == "新的个人信息更正申请待处理"
    assert notice.url == f"/privacy/office/{request.pk}/"
    # The guardian's own details: a correction without a child.
    own = services.data_request_create(actor=guardian_actor(world), kind="correction",
                                       text="我的邮箱换了", student=None)
    assert own.student is None and own.subject_label == "家长本人（王丽）"


@pytest.mark.parametrize("kwargs, message", [
    ({"text": "  "}, e.TEXT_REQUIRED),
    ({"text": "长" * 1001}, e.TEXT_TOO_LONG.format(limit=1000, length=1001)),
])
def test_bad_requests_are_refused_with_the_field(world, kwargs, message):
    with pytest.raises(e.PrivacyError, match=message[:12]) as caught:
        ask(world, **kwargs)
    assert caught.value.field == "text"
    assert not DataRequest.objects.exists()


def test_a_deletion_names_one_of_ones_own_children_once(world):
    with pytest.raises(e.PrivacyError, match=e.DELETION_NEEDS_CHILD):
        services.data_request_create(actor=guardian_actor(world), kind="deletion", text="删",
                                     student=None)
    with pytest.raises(e.PrivacyError, match=e.NOT_YOUR_CHILD):
        ask(world, student=world.other_child)
    ask(world)
    with pytest.raises(e.PrivacyError, match="张小明已有一份待处理的删除申请"):
        ask(world)
    with pytest.raises(e.PrivacyError, match=e.NOT_GUARDIAN):
        services.data_request_create(actor=office_actor(world), kind="deletion", text="删",
                                     student=world.child)
    assert DataRequest.objects.count() == 1


def test_the_guardian_withdraws_a_waiting_request_and_only_theirs(world):
    request = ask(world)
    with pytest.raises(e.PrivacyError):
        services.data_request_withdraw(actor=guardian_actor(world, world.other_guardian),
                                       request=request)
    services.data_request_withdraw(actor=guardian_actor(world), request=request)
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN
    change = DataRequestChange.objects.get(request=request)
    assert (change.from_status, change.to_status, change.actor, change.actor_role) == (
        "pending", "withdrawn", world.guardian.user, "guardian")
    with pytest.raises(e.RequestTransitionRefused, match="当前状态为“已撤回”"):
        services.data_request_refuse(actor=office_actor(world), request=request,
                                     legal_reason="accurate")


def test_the_office_refuses_with_a_legal_reason_and_the_family_is_told(world):
    request = ask(world, "correction", text="过敏史写错了")
    office = office_actor(world)
    with pytest.raises(e.RequestTransitionRefused, match=e.REASON_REQUIRED):
        services.data_request_refuse(actor=office, request=request, legal_reason="")
    with pytest.raises(e.RequestTransitionRefused, match=e.OTHER_REASON_NEEDS_TEXT):
        services.data_request_refuse(actor=office, request=request, legal_reason="other")
    services.data_request_refuse(actor=office, request=request, legal_reason="accurate",
                                 comment="已与班主任核对体检记录，过敏史无误。")
    request.refresh_from_db()
    assert (request.status, request.legal_reason, request.decided_by) == (
        S.REFUSED, "accurate", world.coordinator)
    assert request.outcome == "已与班主任核对体检记录，过敏史无误。"
    change = request.changes.get()
    assert change.to_status == "refused" and change.actor_role == "coordinator"
    assert change.comment.startswith("经核实，所涉信息准确、完整") and "体检记录" in change.comment
    notice = Notice.objects.get(user=world.guardian.user)
    assert notice.title == "您的更正申请不予办理" and "体检记录" in notice.body


def test_only_the_office_decides(world):
    request = ask(world)
    principal = f.StaffFactory(school=world.school)
    from afterschool.access import actor_for

    with pytest.raises(e.PrivacyError, match=e.OFFICE_ONLY):
        services.data_request_carry_out(actor=actor_for(world.principal, world.school),
                                        request=request, comment="")
    with pytest.raises(e.PrivacyError, match=e.OFFICE_ONLY):
        services.data_request_refuse(actor=actor_for(principal.user, world.school),
                                     request=request, legal_reason="accurate")
    with pytest.raises(e.PrivacyError, match=e.OFFICE_ONLY):
        services.data_request_carry_out(actor=actor_for(world.foreign_coordinator,
                                                        world.other_school),
                                        request=request, comment="")
    assert DataRequest.objects.get().status == S.PENDING


def test_a_correction_is_done_with_what_was_corrected(world):
    request = ask(world, "correction", text="过敏史写错了")
    with pytest.raises(e.RequestTransitionRefused, match=e.OUTCOME_REQUIRED):
        services.data_request_carry_out(actor=office_actor(world), request=request, comment=" ")
    services.data_request_carry_out(actor=office_actor(world), request=request,
                                    comment="已将过敏史更正为“芒果过敏”。")
    request.refresh_from_db()
    assert request.status == S.DONE and request.decided_at is not None
    assert request.changes.get().comment == "已将过敏史更正为“芒果过敏”。"


def test_a_child_still_in_the_service_is_not_deleted(world):
    term = f.TermFactory(school=world.school, name="本学期", is_current=False,
                         start_date=timezone.localdate() - dt.timedelta(days=10),
                         end_date=timezone.localdate() + dt.timedelta(days=60))
    ApplicationFactory(student=world.child, term=term, status=Application.Status.PLACED)
    request = ask(world)
    with pytest.raises(e.RequestTransitionRefused, match="张小明本学期仍在参加课后服务"):
        services.data_request_carry_out(actor=office_actor(world), request=request, comment="")
    world.child.refresh_from_db()
    assert world.child.name == "张小明" and DataRequest.objects.get().status == S.PENDING


def figures(world) -> dict:
    """The 公示's month and every aggregate row the dashboards read, rebuilt from the records."""
    rebuild(first=NOV, last=dt.date(2024, 11, 30), school_ids=[world.school.pk])
    content = month_content(world.school, NOV)
    tables = {}
    for model in (dash.DailySchoolStat, dash.DailyHomeroomStat, dash.MonthlySchoolStat,
                  dash.MonthlyHomeroomStat, dash.MonthlyStaffStat, dash.MonthlyCourseStat):
        tables[model.__name__] = [
            {k: v for k, v in row.items() if k not in ("id", "built_at", "updated_at")}
            for row in model.objects.order_by("pk").values()]
    return {"publication": content, **tables}


def test_deletion_anonymises_the_child_and_keeps_every_count(world):
    two_families(world)
    before = figures(world)
    assert before["publication"]["totals"]["expected"] == 12  # 3 children × 4 lessons
    assert any(row["expected"] for row in before["MonthlyHomeroomStat"])
    request = ask(world, text="请删除张小明的全部信息，MINE外婆1也不再接送")
    services.data_request_carry_out(actor=office_actor(world), request=request, comment="")

    child = world.child
    child.refresh_from_db()
    assert (child.name, child.student_no, child.gender) == (ERASED, f"已删除-{child.pk}", "")
    assert child.is_active and child.homeroom == world.homeroom
    app = Application.objects.get(student=child)
    assert (app.health_notes, app.allergies, app.contact_phone, app.decision_comment) == (
        "", "", "", "")
    assert (app.status, app.participates) == ("placed", True)
    assert not PickupPerson.objects.filter(application=app).exists()
    assert Signature.objects.get(application=app).signed_name == ERASED
    assert not PickupChange.objects.filter(student=child).exists()
    assert not PickupCode.objects.filter(student=child).exists()
    dismissal = Dismissal.objects.get(student=child)
    assert (dismissal.to_name, dismissal.to_phone, dismissal.note) == (ERASED, "", "")
    assert DutyHandover.objects.get(student=child).person_name == ERASED
    assert LeaveRequest.objects.get(student=child).reason == ERASED
    assert set(AttendanceRecord.objects.filter(student=child).values_list("note", flat=True)) \
        == {""}
    assert AbsenceAlert.objects.get(student=child).outcome == ERASED
    assert PrivacyConsent.objects.filter(student=child).count() == 2   # the proof stays
    assert not SurveyAnswer.objects.filter(text="MINE孩子很喜欢").exists()
    assert SurveyAnswer.objects.filter(scale=5).exists()
    assert Notice.objects.get(title__endswith="已放学", user=world.guardian.user).body == \
        f"{ERASED}由{ERASED}接走。"
    request.refresh_from_db()
    assert request.status == S.DONE
    assert "张小明" not in request.text and "MINE外婆1" not in request.text
    assert "已匿名化" in request.changes.get().comment
    # The sibling and the other family are untouched; the guardian keeps their details.
    world.guardian.refresh_from_db()
    assert world.guardian.name == "王丽" and world.guardian.user is not None
    assert Application.objects.get(student=world.sibling).health_notes == "MINE哮喘2"
    assert Application.objects.get(student=world.other_child).health_notes == f"{OTHER}哮喘3"

    assert figures(world) == before


def test_a_guardian_with_no_other_child_is_anonymised_too(world):
    two_families(world)
    before = figures(world)
    other, user = world.other_guardian, world.other_guardian.user
    request = ask(world, student=world.other_child, guardian=other)
    services.data_request_carry_out(actor=office_actor(world), request=request, comment="家长已确认")
    other.refresh_from_db()
    assert (other.name, other.email, other.user) == (ERASED, "", None)
    assert other.phone == f"10{other.pk:09d}" and other.phone != user.phone
    user = User.objects.get(pk=user.pk)
    assert not user.is_active and not user.has_usable_password() and user.name == ""
    assert user.phone.startswith("10")
    assert not Notice.objects.filter(user=user).exists()
    assert request.changes.get().comment.startswith("家长已确认；已匿名化：")
    # The request is still the school's record; the family has no login here to be told.
    assert DataRequest.objects.get(pk=request.pk).status == S.DONE
    assert figures(world) == before
