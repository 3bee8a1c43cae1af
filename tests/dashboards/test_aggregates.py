"""The aggregate tables equal the records: counted by hand, against the 公示's own tables, after
corrections through the signal, and when a lesson is cancelled afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q

from attendance.models import AbsenceAlert, AttendanceRecord, Lesson
from attendance.services import record_correct
from dashboards import aggregates
from dashboards.models import (
    DailyHomeroomStat,
    DailySchoolStat,
    MonthlyCourseStat,
    MonthlyHomeroomStat,
    MonthlySchoolStat,
    MonthlyStaffStat,
)
from evaluation.selectors import tables
from tests.attendance.helpers import MONDAY, THURSDAY, TUESDAY, WEDNESDAY, at

from .conftest import NOVEMBER, STATUSES

pytestmark = pytest.mark.django_db


def hand_count(school, first, last):
    """Straight from the records: what every figure must be."""
    records = AttendanceRecord.objects.filter(lesson__term__school=school,
                                              lesson__date__range=(first, last),
                                              lesson__is_cancelled=False)
    found = records.aggregate(expected=Count("pk"), missing=Count("pk", filter=Q(status="")),
                              **{s: Count("pk", filter=Q(status=s)) for s in STATUSES})
    lessons = Lesson.objects.filter(term__school=school, date__range=(first, last),
                                    is_cancelled=False)
    found["lessons"] = lessons.count()
    found["lessons_taken"] = lessons.filter(
        Q(roll_call_at__isnull=False) | Q(records__status__gt="")).distinct().count()
    found["alerts"] = AbsenceAlert.objects.filter(lesson__in=lessons).count()
    return found


def test_every_figure_equals_a_count_of_the_records(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    expected = hand_count(world.school, NOVEMBER, dt.date(2024, 11, 30))
    assert expected["expected"] > 20 and expected["absent"] and expected["missing"]
    for name, value in expected.items():
        assert getattr(stat, name) == value, name
    assert stat.present + stat.late + stat.leave + stat.absent + stat.missing == stat.expected
    for day in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY):
        row = DailySchoolStat.objects.get(school=world.school, date=day)
        for name, value in hand_count(world.school, day, day).items():
            assert getattr(row, name) == value, (day, name)
    # Homerooms: the same as the 公示's table, child by child of each homeroom.
    homerooms, _ = tables.attendance_tables(world.school.pk, NOVEMBER, dt.date(2024, 11, 30))
    published = {row["id"]: row for row in homerooms}
    ours = MonthlyHomeroomStat.objects.filter(school=world.school, month=NOVEMBER,
                                              expected__gt=0)
    assert {r.homeroom_id for r in ours} == set(published)
    for row in ours:
        for name in ("expected", *STATUSES, "missing"):
            assert getattr(row, name) == published[row.homeroom_id][name], name
    assert sum(DailyHomeroomStat.objects.filter(school=world.school).values_list(
        "expected", flat=True)) == stat.expected


def test_on_time_roll_calls_and_the_staff_ledger(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    taken = Lesson.objects.filter(term__school=world.school, roll_call_at__isnull=False)
    on_time = [x for x in taken if x.roll_call_at <= at(x.date, x.start_time.hour,
                                                        x.start_time.minute)
               + dt.timedelta(minutes=10)]
    assert 0 < stat.lessons_on_time == len(on_time) < stat.lessons_taken
    staff = MonthlyStaffStat.objects.filter(school=world.school, month=NOVEMBER)
    assert sum(s.delivered for s in staff) >= stat.lessons_taken
    assert stat.staff_taking_part == sum(1 for s in staff if s.delivered)
    assert stat.staff_total == world.school.staff.filter(is_active=True).count()


def test_a_correction_lands_through_the_signal(world, month, django_capture_on_commit_callbacks):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    record = AttendanceRecord.objects.filter(lesson__date=TUESDAY, status="absent").first()
    before = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        record_correct(record=record, new_status="leave", reason="补交病假条",
                       actor=month.office, now=at(THURSDAY, 23, 30))
    after = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    assert (after.absent, after.leave) == (before.absent - 1, before.leave + 1)
    day = DailySchoolStat.objects.get(school=world.school, date=TUESDAY)
    assert day.leave == hand_count(world.school, TUESDAY, TUESDAY)["leave"]


def test_the_roll_call_itself_refreshes_the_day(world, month):
    # The fixture's roll calls went through the signal (no rebuild was run).
    row = DailySchoolStat.objects.get(school=world.school, date=MONDAY)
    assert row.expected == hand_count(world.school, MONDAY, MONDAY)["expected"]
    assert MonthlySchoolStat.objects.filter(school=world.school, month=NOVEMBER).exists()


def test_a_cancelled_lesson_leaves_the_figures_and_stale_rows_go(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    Lesson.objects.filter(term=world.term, date=THURSDAY).update(is_cancelled=True)
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    assert not DailySchoolStat.objects.filter(date=THURSDAY).exists()
    assert not DailyHomeroomStat.objects.filter(date=THURSDAY).exists()
    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    assert stat.expected == hand_count(world.school, NOVEMBER, dt.date(2024, 11, 30))["expected"]


def test_rebuilding_twice_writes_the_same_rows(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))

    def snapshot():
        return [sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields
                                                   if f.attname not in ("id", "built_at")]))
                for model in (DailySchoolStat, DailyHomeroomStat, MonthlySchoolStat,
                              MonthlyHomeroomStat, MonthlyStaffStat, MonthlyCourseStat)]

    first = snapshot()
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    assert snapshot() == first


def test_participation_and_course_fill(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    from enrollment.models import Application

    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    apps = Application.objects.filter(term=world.term)
    assert stat.applied == apps.filter(participates=True).count() == 9
    assert stat.placed == apps.filter(status="placed").count()
    assert stat.students == world.school.students.filter(is_active=True).count()
    basketball = month.small.courses["basketball"]
    course = MonthlyCourseStat.objects.get(course=basketball, month=NOVEMBER)
    assert (course.sections, course.capacity) == (1, 4)
    assert course.placed_students == month.run.placements.filter(course=basketball).count()
    expected = AttendanceRecord.objects.filter(
        lesson__section_id__in=basketball.sections.values("pk"), lesson__is_cancelled=False)
    assert course.expected == expected.count()


def test_refresh_requests_of_one_day_are_collapsed(world, monkeypatch):
    from django.core.cache import cache

    from dashboards import receivers, tasks

    queued = []
    monkeypatch.setattr(tasks.day_refresh_task, "apply_async",
                        lambda args, countdown: queued.append((args, countdown)))
    cache.delete(receivers.mark_key(world.school.pk, TUESDAY))
    for _ in range(5):
        receivers.request_refresh(world.school.pk, TUESDAY)
    receivers.request_refresh(world.school.pk, WEDNESDAY)
    assert queued == [((world.school.pk, "2024-11-12"), receivers.REFRESH_DELAY),
                      ((world.school.pk, "2024-11-13"), receivers.REFRESH_DELAY)]
    # The task clears the mark before counting: a roll call during the count queues again.
    tasks.day_refresh_task.run(world.school.pk, "2024-11-12")
    receivers.request_refresh(world.school.pk, TUESDAY)
    assert len(queued) == 3
    cache.clear()


def test_a_lost_broker_leaves_no_mark(world, monkeypatch):
    from django.core.cache import cache

    from dashboards import receivers, tasks

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.day_refresh_task, "apply_async", down)
    receivers.request_refresh(world.school.pk, MONDAY)
    assert cache.get(receivers.mark_key(world.school.pk, MONDAY)) is None


def test_the_nightly_job_rebuilds_every_school_in_chunks(world, month, monkeypatch):
    from dashboards import tasks

    monkeypatch.setattr(tasks, "CHUNK", 1)
    assert tasks.dashboards_rebuild_task(months=1) == 2   # two schools, one task each
    tasks.schools_rebuild_task.run([world.school.pk], "2024-11-01", "2024-11-30")
    assert MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER).expected == \
        hand_count(world.school, NOVEMBER, dt.date(2024, 11, 30))["expected"]
