"""Each role sees the children's fields it needs (issue 15): full phone numbers only where the
role rings them, health notes only for those who look after the child; pages of enrollment,
the arrangement's rosters, the roll call and both dismissal pages (afterschool/audit.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import PickupPerson
from tests.afterschool.test_access_log import form  # noqa: F401
from tests.arrangement.test_safety_rosters import _section_of, published  # noqa: F401
from tests.attendance.leave_builders import lesson, term_around_today
from tests.attendance.test_dismissal_services import build_day
from tests.enrollment.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

FULL, MASKED = "13900139000", "139****9000"
CONTACT_FULL, CONTACT_MASKED = "13812345678", "138****5678"


def test_the_application_detail_by_role(world, login, form):  # noqa: F811
    url = reverse("enrollment:detail", args=[form.pk])
    for user, full in ((world.guardian.user, True), (world.coordinator, True),
                       (world.homeroom_teacher.user, False), (world.principal, False)):
        page = login(user).get(url).content.decode()
        assert "哮喘" in page and "花生" in page and "张爷爷" in page, user
        assert (FULL in page, CONTACT_FULL in page) == (full, full), user
        assert (MASKED in page, CONTACT_MASKED in page) == (not full, not full), user
    # Not a reviewer of this child: as if it did not exist.
    assert login(world.other_homeroom_teacher.user).get(url).status_code == 404
    assert login(world.other_guardian.user).get(url).status_code == 404
    assert login(world.tutor.user).get(url).status_code == 403


def test_the_section_roster_by_role(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    for user, full in ((world.tutor.user, True), (world.coordinator, True),
                       (world.principal, False)):
        page = login(user).get(url).content.decode()
        assert "花生" in page and "张爷爷（爷爷）" in page, user
        assert (f"张爷爷（爷爷）{FULL}" in page, CONTACT_FULL in page) == (full, full), user
        assert (f"张爷爷（爷爷）{MASKED}" in page) is not full, user


def _roll_call(world):
    term_around_today(world.term)
    ApplicationFactory(student=world.child, term=world.term, health_notes="哮喘随身带喷雾")
    return lesson(world.term, timezone.localdate(), [world.child, world.other_child],
                  tutors=[world.tutor], title="书法")


def test_the_roll_call_shows_health_to_those_looking_after_the_child(world, login):
    made = _roll_call(world)
    url = reverse("attendance:roll_call", args=[made.pk])
    # On the form of the tutor taking the roll; the others read attendance only.
    for user, shown in ((world.tutor.user, True), (world.homeroom_teacher.user, False),
                        (world.coordinator, False), (world.principal, False)):
        response = login(user).get(url)
        assert response.status_code == 200, user
        assert ("哮喘随身带喷雾" in response.content.decode()) is shown, user
    assert login(world.external.user).get(url).status_code == 404  # not their lesson


@pytest.fixture
def today_day(world):
    term_around_today(world.term)
    day = build_day(world, day=timezone.localdate())
    PickupPerson.objects.create(application=world.child.applications.get(term=world.term),
                                name="张爷爷", relation="爷爷", phone=FULL)
    return day


def test_the_tutors_dismissal_page_is_a_call_list(world, login, today_day):
    url = reverse("attendance:dismissal", args=[today_day.lesson.pk])
    page = login(world.tutor.user).get(url).content.decode()
    assert f'href="tel:{FULL}"' in page and f'href="tel:{world.guardian.phone}"' in page
    # The homeroom teacher sees the lesson but does not dismiss it: no list, no numbers.
    page = login(world.homeroom_teacher.user).get(url).content.decode()
    assert FULL not in page and MASKED not in page and world.guardian.phone not in page


def test_the_campus_dismissal_by_role(world, login, today_day):
    from attendance.services import dismissal_hand_to_duty

    dismissal_hand_to_duty(lesson=today_day.lesson, actor=today_day.tutor,
                           student_id=world.child.pk, name="刘芳", relation="姑姑",
                           phone="13905391234")
    url = reverse("attendance:dismissal_campus")
    office = login(world.coordinator).get(url).content.decode()
    assert "刘芳" in office and 'href="tel:13905391234"' in office and FULL in office
    principal = login(world.principal).get(url).content.decode()
    assert "刘芳" in principal and "139****1234" in principal
    assert "13905391234" not in principal and FULL not in principal
    assert world.guardian.phone not in principal
    assert login(world.tutor.user).get(url).status_code == 403
