"""Exports carry full phone numbers only for the office and only when asked (含完整手机号 with
a reason, logged); everyone else's files, the principal's included, are masked (issue 15)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.exceptions import ExportReasonRequired, FullPhonesOfficeOnly
from afterschool.models import SensitiveAccess
from tests.arrangement.test_safety_rosters import _section_of, published  # noqa: F401
from tests.evaluation.test_statement_views import issued  # noqa: F401

pytestmark = pytest.mark.django_db

FULL, MASKED = "13900139000", "139****9000"


def _cells(response) -> list[str]:
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    return [str(v) for row in book.active.values for v in row if v is not None]


def _roster_url(run, section):
    return reverse("arrangement:section_roster", args=(run.pk, section.pk))


def test_roster_downloads_are_masked_for_everyone_by_default(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    url = _roster_url(run, section) + "?format=xlsx"
    for user in (world.tutor.user, world.coordinator, world.principal):
        text = " ".join(_cells(login(user).get(url)))
        assert f"张爷爷（爷爷）{MASKED}" in text and FULL not in text, user
        assert "138****5678" in text and "13812345678" not in text, user


def test_the_office_gets_full_numbers_when_it_asks_with_a_reason(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    url = _roster_url(run, section)
    client = login(world.coordinator)
    # Ticked without a reason: refused, back to the roster with the message; nothing logged.
    response = client.post(url, {"full_phones": "1", "reason": " "}, follow=True)
    assert ExportReasonRequired.message in response.content.decode()
    assert not SensitiveAccess.objects.filter(is_export=True).exists()
    text = " ".join(_cells(client.post(url, {"full_phones": "1", "reason": "停课逐一电话通知"})))
    assert f"张爷爷（爷爷）{FULL}" in text and "13812345678" in text
    row = SensitiveAccess.objects.get(student=world.child, is_export=True)
    assert row.reason == "停课逐一电话通知" and "full_phone_export" in row.kinds


def test_the_principal_and_tutors_never_get_full_numbers(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    url = _roster_url(run, section)
    for user in (world.principal, world.tutor.user):
        response = login(user).post(url, {"full_phones": "1", "reason": "我想要完整号码"},
                                    follow=True)
        assert response["Content-Type"].startswith("text/html"), user
        assert FullPhonesOfficeOnly.message in response.content.decode(), user
    assert not SensitiveAccess.objects.filter(kinds__contains=["full_phone_export"]).exists()
    # Without the box ticked, a POST is the ordinary masked download.
    text = " ".join(_cells(login(world.principal).post(url, {"reason": "x"})))
    assert FULL not in text and MASKED in text


def test_the_student_roster_is_masked_unless_the_office_asks(world, login):
    phone = world.guardian.phone
    masked = f"{phone[:3]}****{phone[-4:]}"
    for user in (world.coordinator, world.principal):
        text = _cells(login(user).get(reverse("school:roster_export_school")))
        assert masked in text and phone not in text, user
    homeroom = login(world.homeroom_teacher.user).get(
        reverse("school:roster_export_homeroom", args=[world.homeroom.pk]))
    assert phone not in _cells(homeroom)
    assert not SensitiveAccess.objects.exists()  # masked rosters: nothing sensitive shown

    export = reverse("school:roster_export")
    refused = login(world.principal).post(export, {"scope": "school", "full_phones": "1",
                                                   "reason": "核对名册"}, follow=True)
    assert FullPhonesOfficeOnly.message in refused.content.decode()
    assert login(world.homeroom_teacher.user).post(export, {"scope": "school"}).status_code == 403

    client = login(world.coordinator)
    no_reason = client.post(export, {"scope": "school", "full_phones": "1"}, follow=True)
    assert ExportReasonRequired.message in no_reason.content.decode()
    grade = world.homeroom.grade
    text = _cells(client.post(export, {"scope": f"grade-{grade.pk}", "full_phones": "1",
                                       "reason": "核对后重新导入"}))
    assert phone in text
    logged = SensitiveAccess.objects.filter(reason="核对后重新导入")
    assert set(logged.values_list("student_id", flat=True)) == {
        world.child.pk, world.sibling.pk, world.other_child.pk}
    assert {tuple(r.kinds) for r in logged} == {("phone", "full_phone_export")}
    assert all(r.is_export and r.role == "coordinator" for r in logged)
    # Another school's grade, or no scope: 404.
    foreign = world.foreign_student.homeroom.grade
    assert client.post(export, {"scope": f"grade-{foreign.pk}", "full_phones": "1",
                                "reason": "核对后重新导入"}).status_code == 404
    assert client.post(export, {"scope": "", "reason": "x"}).status_code == 404


def test_the_principals_staff_roster_is_masked(world, login):
    staff_phone = world.tutor.phone
    principal = _cells(login(world.principal).get(reverse("school:roster_export_staff")))
    assert staff_phone not in principal
    assert f"{staff_phone[:3]}****{staff_phone[-4:]}" in principal
    assert staff_phone in _cells(login(world.coordinator).get(reverse("school:roster_export_staff")))


def test_the_principals_payroll_is_masked(world, login, issued):  # noqa: F811
    from afterschool.cleaning import mask_phone

    login(world.tutor.user).post(
        reverse("evaluation:statement_confirm", args=[issued[world.tutor.pk].pk]))
    url = reverse("evaluation:payroll") + "?month=2024-11"
    principal = _sheet_cells(login(world.principal).get(url), "补助发放表")
    assert mask_phone(world.tutor.phone) in principal and world.tutor.phone not in principal
    assert world.tutor.phone in _sheet_cells(login(world.coordinator).get(url), "补助发放表")


def _sheet_cells(response, name) -> list[str]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    return [str(v) for row in book[name].values for v in row if v is not None]
