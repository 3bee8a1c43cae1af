"""The demo step: a roster, past patrols, two findings (one closed, one open); idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from afterschool import demo as core_demo
from attendance.models import AttendanceRecord
from safety.demo import safety_demo
from safety.models import DutyAssignment, DutyRoster, FollowUp, PatrolReport
from safety.services import service_days

from .builders import lesson, term_around_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(world, settings):
    """The world's office and duty teacher under the demo's phone numbers; a week of lessons
    with their roll calls taken before today."""
    settings.DEMO_ROLL_CALL_DAYS = 7
    term = term_around_today(world.term, before=20, after=40)
    world.coordinator.phone = core_demo.COORDINATOR.phone
    world.coordinator.save()
    world.duty_teacher.phone = core_demo.DUTY_TEACHER.phone
    world.duty_teacher.save()
    today = timezone.localdate()
    for day in service_days(term, since=today - dt.timedelta(days=7)):
        if day >= today:
            break
        for start, title, tutor in (((16, 40), "作业辅导（七年级1班）", world.homeroom_teacher),
                                    ((17, 30), "书法", world.tutor),
                                    ((17, 30), "篮球", world.external)):
            made = lesson(term, day, [world.child, world.other_child, world.sibling],
                          start=start, end=(start[0] + 1, 0), title=title, tutors=[tutor])
            made.records.update(status=AttendanceRecord.Status.PRESENT,
                                marked_at=timezone.now())
            made.roll_call_at = timezone.now()
            made.save(update_fields=["roll_call_at"])
    return world


def counts():
    return (DutyRoster.objects.count(), DutyAssignment.objects.count(),
            PatrolReport.objects.count(), FollowUp.objects.count())


def test_the_demo_has_a_roster_patrols_and_two_findings_once(demo_world):
    world = demo_world
    safety_demo({"school": world.school})
    term = world.term
    roster = DutyRoster.objects.get(term=term)
    assert roster.from_date == term.start_date
    assert DutyAssignment.objects.filter(roster=roster, kind="teacher").count() == len(
        service_days(term))
    today = timezone.localdate()
    if today in service_days(term):
        assert DutyAssignment.objects.filter(date=today, staff=world.duty_teacher).exists()
    past = {d for d in service_days(term, since=today - dt.timedelta(days=7)) if d < today}
    patrol_days = set(PatrolReport.objects.values_list("date", flat=True))
    assert patrol_days == past
    # Each patrol was made by someone on duty that day, with the roll call's head count.
    for patrol in PatrolReport.objects.select_related("lesson"):
        assert DutyAssignment.objects.filter(date=patrol.date,
                                             staff__user=patrol.recorded_by).exists()
        assert patrol.head_count == patrol.roll_call_count == 3
    follow_ups = {f.status: f for f in FollowUp.objects.select_related("patrol")}
    assert set(follow_ups) == {"closed", "assigned"}
    assert follow_ups["closed"].patrol.presence == "late" and follow_ups["closed"].close_note
    assert follow_ups["assigned"].patrol.activity == "new_lesson"
    assert follow_ups["assigned"].patrol.date > follow_ups["closed"].patrol.date

    before = counts()
    safety_demo({"school": world.school})
    assert counts() == before


def test_no_term_no_demo(world):
    world.term.delete()
    safety_demo({"school": world.school})
    assert counts() == (0, 0, 0, 0)
