"""The attendance demo step: roll calls written in bulk are the roll-call service's rows, once."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from afterschool import demo as core_demo
from afterschool.access import actor_for
from attendance import demo
from attendance.display import OUTCOME_CORRECTED
from attendance.models import AbsenceAlert, AttendanceCorrection, AttendanceRecord, Lesson
from attendance.policy import starts_at
from attendance.selectors import approved_leave_for
from attendance.services import leave_record_for_family, record_correct, roll_call_submit
from tests.conftest import require_service
from tests.factories import StudentFactory

from .leave_builders import MONDAY, TUESDAY, WEDNESDAY, at, lesson

pytestmark = pytest.mark.django_db

THURSDAY = MONDAY + dt.timedelta(days=3)
S = AttendanceRecord.Status
# Every mark often enough that a lesson of 30 children shows each of them.
EVERY_MARK = [(S.PRESENT, 40), (S.LATE, 20), (S.LEAVE, 20), (S.ABSENT, 20)]


@pytest.fixture
def school_days(world, settings, monkeypatch):
    """Lessons of one week before "today" (Thursday): four to be taken by the demo, and five it
    must leave alone."""
    settings.DEMO_ROLL_CALL_DAYS = None
    monkeypatch.setattr(demo, "MARKS", EVERY_MARK)
    children = [world.child, world.other_child,
                *StudentFactory.create_batch(28, school=world.school, homeroom=world.homeroom)]
    term = world.term
    due = [
        lesson(term, MONDAY, children, tutors=[world.tutor]),
        lesson(term, TUESDAY, children, start=(17, 30), end=(18, 10), title="篮球",
               tutors=[world.external]),
        lesson(term, TUESDAY, children[:12], title="作业辅导（代课）", tutors=[world.tutor]),
        lesson(term, WEDNESDAY, children, tutors=[world.tutor, world.external]),
    ]
    due[2].substitute = world.homeroom_teacher
    due[2].save(update_fields=["substitute"])
    cancelled = lesson(term, MONDAY, children[:5], start=(17, 30), end=(18, 10), title="取消",
                       tutors=[world.tutor])
    Lesson.objects.filter(pk=cancelled.pk).update(is_cancelled=True)
    skipped = [
        lesson(term, WEDNESDAY, children[:5], start=(17, 30), end=(18, 10), title="无人辅导"),
        cancelled,
        lesson(term, THURSDAY, children[:5], tutors=[world.tutor]),  # today: not yet
    ]
    taken = lesson(term, MONDAY, children[:5], start=(18, 15), end=(18, 50), title="已点名",
                   tutors=[world.tutor])
    roll_call_submit(lesson=taken, actor=actor_for(world.tutor.user, world.school),
                     marks={c.pk: S.PRESENT for c in children[:5]}, revision=0, token="t",
                     now=at(MONDAY, 18, 16))
    # A lesson nobody took whose record the office corrected after it locked: taken, as
    # regeneration counts it, and not the demo's to fill in.
    corrected = lesson(term, TUESDAY, children[:5], start=(18, 15), end=(18, 50),
                       title="已更正", tutors=[world.tutor])
    record_correct(record=corrected.records.get(student=world.child), new_status=S.LEAVE,
                   reason="家长补交病假条", actor=actor_for(world.coordinator, world.school),
                   now=at(WEDNESDAY, 9))
    # The mother phoned on Monday morning: the child is away on Tuesday.
    leave_record_for_family(student=world.child, term=term, reason="发烧",
                            actor=actor_for(world.homeroom_teacher.user, world.school),
                            start_date=TUESDAY, end_date=TUESDAY, now=at(MONDAY, 8))
    return due, [*skipped, taken, corrected]


def state():
    """Everything a roll call writes, in a comparable form."""
    lessons = list(Lesson.objects.order_by("pk").values_list(
        "pk", "roll_call_at", "roll_call_by", "roll_call_revision", "roll_call_token"))
    records = list(AttendanceRecord.objects.order_by("pk").values_list(
        "pk", "lesson", "student", "status", "leave", "note", "marked_at", "marked_by",
        "revision"))
    alerts = list(AbsenceAlert.objects.order_by("record").values_list(
        "record", "student", "lesson", "status", "raised_at", "notified_at", "handled_at",
        "handled_by", "outcome"))
    return lessons, records, alerts


def through_the_service(world, lessons):
    """What each lesson's tutor (or substitute) submitting the demo's marks writes."""
    for row in lessons:
        row = Lesson.objects.get(pk=row.pk)
        staff = row.substitute or row.tutors.first()
        students = list(row.records.order_by("student_id").values_list("student_id", flat=True))
        marks, minutes = demo.demo_marks(row, students)
        # The page pre-fills approved leave as 请假.
        marks.update(dict.fromkeys(approved_leave_for(row), S.LEAVE))
        roll_call_submit(lesson=row, actor=actor_for(staff.user, world.school), marks=marks,
                         revision=0, token=f"demo-{row.pk}",
                         now=starts_at(row) + dt.timedelta(minutes=minutes))


def test_bulk_roll_calls_are_the_services_rows(world, school_days):
    due, _ = school_days
    before = state()
    point = transaction.savepoint()
    assert demo.take_demo_roll_calls(term=world.term, today=THURSDAY) == len(due)
    bulk = state()
    transaction.savepoint_rollback(point)
    assert state() == before

    through_the_service(world, due)
    assert bulk == state()
    # …and the comparison saw every kind of row: each mark, a linked leave, alerts.
    _, records, alerts = bulk
    taken = [r for r in records if r[1] in {row.pk for row in due}]
    assert {r[3] for r in taken} == {"present", "late", "leave", "absent"}
    assert any(r[4] is not None for r in taken)
    assert alerts


def test_what_the_demo_takes_and_what_it_leaves(world, school_days):
    due, left = school_days
    def marks_of(row):
        return list(row.records.order_by("pk").values_list("status", "marked_at", "revision"))

    untouched = {row.pk: (Lesson.objects.get(pk=row.pk), marks_of(row)) for row in left}
    demo.take_demo_roll_calls(term=world.term, today=THURSDAY)

    for row in due:
        row.refresh_from_db()
        staff = row.substitute or row.tutors.first()
        assert row.roll_call_by == staff
        assert row.roll_call_revision == 1 and row.roll_call_token == f"demo-{row.pk}"
        assert starts_at(row) < row.roll_call_at <= starts_at(row) + dt.timedelta(minutes=22)
        records = list(row.records.all())
        assert {r.marked_at for r in records} == {row.roll_call_at}
        assert {r.marked_by_id for r in records} == {staff.user_id}
        assert {r.revision for r in records} == {1}
        assert "" not in {r.status for r in records}
    substituted = Lesson.objects.get(pk=due[2].pk)
    assert substituted.roll_call_by == world.homeroom_teacher

    # The child on approved leave is 请假 on Tuesday with the leave linked, and raised no alarm.
    tuesday = AttendanceRecord.objects.filter(student=world.child, lesson__date=TUESDAY,
                                              lesson__in=due)
    assert {(r.status, r.leave is not None) for r in tuesday} == {(S.LEAVE, True)}
    # An absence without leave is an alarm, exactly once; nothing else is.
    alarming = AttendanceRecord.objects.filter(lesson__in=due, status=S.ABSENT)
    assert alarming.exists()
    assert set(AbsenceAlert.objects.values_list("record", flat=True)) == {
        r.pk for r in alarming}

    for row, records in untouched.values():
        fresh = Lesson.objects.get(pk=row.pk)
        assert (fresh.roll_call_at, fresh.roll_call_revision) == (row.roll_call_at,
                                                                 row.roll_call_revision)
        assert marks_of(fresh) == records


def test_the_demo_step_twice_changes_nothing(world, school_days):
    # The correction and the handled alerts are made as the demo's coordinator.
    world.coordinator.phone = core_demo.COORDINATOR.phone
    world.coordinator.save(update_fields=["phone"])

    def run():
        taken = demo.take_demo_roll_calls(term=world.term, today=THURSDAY)
        corrected = demo.correct_one(term=world.term, school=world.school)
        demo.handle_past_alerts(term=world.term, today=THURSDAY)
        return taken, corrected

    assert run() == (4, False)  # the office's correction of Tuesday is already there
    first = state(), AttendanceCorrection.objects.count()
    assert run() == (0, False)
    assert (state(), AttendanceCorrection.objects.count()) == first

    # Earlier days' alerts read as handled by the office, and as told at the time.
    alerts = AbsenceAlert.objects.all()
    assert alerts and all(
        a.status == AbsenceAlert.Status.HANDLED and a.handled_by == world.coordinator
        and a.outcome == demo.DEMO_OUTCOME and a.notified_at == a.raised_at for a in alerts)


def test_the_one_correction_closes_its_alert(world, school_days):
    world.coordinator.phone = core_demo.COORDINATOR.phone
    world.coordinator.save(update_fields=["phone"])
    AttendanceCorrection.objects.all().delete()
    demo.take_demo_roll_calls(term=world.term, today=THURSDAY)
    assert demo.correct_one(term=world.term, school=world.school)
    assert not demo.correct_one(term=world.term, school=world.school)
    demo.handle_past_alerts(term=world.term, today=THURSDAY)

    correction = AttendanceCorrection.objects.get()
    assert (correction.old_status, correction.new_status) == (S.ABSENT, S.LEAVE)
    assert correction.reason == demo.CORRECTION_REASON
    assert correction.corrected_by == world.coordinator
    record = correction.record
    assert record.status == S.LEAVE
    # The latest absence of the week, closed by the correction and not announced today.
    assert record.lesson.date == WEDNESDAY
    assert record.alert.outcome == OUTCOME_CORRECTED
    assert record.alert.notified_at == record.alert.raised_at


def test_marks_are_mostly_present_with_a_few_late_and_on_leave():
    """The real weights over a term's worth of children: realistic, and the same every run."""
    counts = dict.fromkeys(S.values, 0)
    minutes = []
    for i in range(2000):
        row = SimpleNamespace(date=dt.date(2026, 10, 12), start_time=dt.time(16, 40),
                              key=f"homework:{i}")
        marks, late_by = demo.demo_marks(row, list(range(20)))
        assert demo.demo_marks(row, list(range(20))) == (marks, late_by)
        minutes.append(late_by)
        for status in marks.values():
            counts[status] += 1
    share = {k: v / 40000 for k, v in counts.items()}
    assert 0.93 < share["present"] < 0.96
    assert 0.02 < share["late"] < 0.04 and 0.01 < share["leave"] < 0.03
    assert 0.002 < share["absent"] < 0.01
    punctual = sum(m <= 10 for m in minutes) / len(minutes)
    assert 0.75 < punctual < 0.9


def test_analyze_after_the_bulk_load_on_postgresql(world, school_days):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    demo.take_demo_roll_calls(term=world.term, today=THURSDAY)
    demo.analyze(Lesson, AttendanceRecord)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s",
                       [AttendanceRecord._meta.db_table])
        (estimate,) = cursor.fetchone()
    assert estimate == AttendanceRecord.objects.count()
