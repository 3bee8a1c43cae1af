"""The monthly tallies stay exactly the records (PostgreSQL keeps them with triggers).

- A property test: random sequences of roll calls, corrections after locking, approved leave,
  withdrawals (lessons regenerated without the child), holidays set and taken back (lessons
  cancelled and restored) across two months leave every tally equal to a recount of the
  records, and the 公示's tables read from the tallies equal the same tables counted from the
  records.
- Two tutors writing at once: the second transaction's difference is added to the first's,
  not written over it (real connections, threads).
- The rebuild and the check: a tally spoiled by hand is found and repaired.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterschool.access import actor_for
from attendance.exceptions import AttendanceError
from attendance.models import AttendanceRecord, AttendanceTally, CalendarDay, Lesson
from attendance.policy import starts_at
from attendance.services import (
    calendar_day_delete,
    calendar_day_set,
    leave_record_for_family,
    lessons_regenerate,
    record_correct,
    roll_call_submit,
)
from attendance.tally import tally_differences, tally_rebuild
from enrollment.models import Application
from evaluation.selectors import tables
from tests.conftest import require_service

from .helpers import arrange

D = dt.date
# Four service weeks across the end of November (service Monday to Thursday).
DAYS = [D(2024, 11, 25) + dt.timedelta(days=i) for i in range(14)]
STATUSES = ["present", "late", "leave", "absent"]
AFTER = dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)       # every lesson locked by then


def postgres():
    require_service("PostgreSQL", connection.vendor == "postgresql",
                    "设置 DATABASE_URL=postgres://…（点名月计数由 PostgreSQL 触发器维护）")


def tutor_of(lesson: Lesson):
    staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
    return staff if staff is not None and staff.user is not None else None


def both_ways(school_id: int, month: dt.date, monkeypatch) -> tuple:
    """The 公示's homeroom and course tables from the tallies, and from the records."""
    last = tables.last_day(month)
    kept = tables.attendance_tables(school_id, month, last)
    with monkeypatch.context() as m:
        m.setattr(tables, "tally_maintained", lambda: False)
        counted = tables.attendance_tables(school_id, month, last)
    return kept, counted


class Rollback(Exception):
    pass


OPS = st.lists(st.one_of(
    st.tuples(st.just("roll_call"), st.integers(0, 999),
              st.lists(st.sampled_from(STATUSES), min_size=1, max_size=6)),
    st.tuples(st.just("correct"), st.integers(0, 9999), st.sampled_from(STATUSES)),
    st.tuples(st.just("leave"), st.integers(0, 99), st.integers(0, len(DAYS) - 1)),
    st.tuples(st.just("withdraw"), st.integers(0, 99), st.integers(0, len(DAYS) - 1)),
    st.tuples(st.just("holiday"), st.integers(0, len(DAYS) - 1)),
    st.tuples(st.just("reopen"), st.integers(0, 99)),
), min_size=1, max_size=10)


@pytest.mark.django_db
def test_any_sequence_of_writes_leaves_the_tallies_equal_to_the_records(
        world, django_capture_on_commit_callbacks, monkeypatch):
    postgres()
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=8, capacity=3)
    term, office = arranged.small.term, arranged.office
    lessons_regenerate(term=term, dates=DAYS)
    assert AttendanceTally.objects.filter(school_id=world.school.pk).exists()
    assert tally_differences() == []

    def apply(op) -> None:
        kind = op[0]
        lessons = list(Lesson.objects.filter(term=term, is_cancelled=False)
                       .select_related("substitute__user", "term")
                       .prefetch_related("tutors__user").order_by("date", "start_time", "pk"))
        if kind == "roll_call" and lessons:
            lesson = lessons[op[1] % len(lessons)]
            staff = tutor_of(lesson)
            kids = sorted(lesson.records.values_list("student_id", flat=True))
            if staff is None or not kids:
                return
            marks = {k: op[2][i % len(op[2])] for i, k in enumerate(kids)}
            roll_call_submit(lesson=lesson, actor=actor_for(staff.user, world.school),
                             marks=marks, revision=lesson.roll_call_revision,
                             token=f"t{lesson.pk}-{lesson.roll_call_revision}",
                             now=starts_at(lesson) + dt.timedelta(minutes=3))
        elif kind == "correct":
            records = list(AttendanceRecord.objects.filter(lesson__term=term).order_by("pk"))
            record = records[op[1] % len(records)]
            if record.status != op[2]:
                record_correct(record=record, new_status=op[2], reason="补交说明",
                               actor=office, now=AFTER)
        elif kind == "leave":
            students = arranged.small.students
            student = students[op[1] % len(students)]
            day = DAYS[op[2]]
            leave_record_for_family(student=student, term=term, reason="看病", actor=office,
                                    start_date=day, end_date=day)
        elif kind == "withdraw":
            applications = [a for a in arranged.small.applications]
            leaver = applications[op[1] % len(applications)]
            Application.objects.filter(pk=leaver.pk).update(
                status="withdrawn", withdrawn_on=DAYS[op[2]], withdraw_reason="转学")
            lessons_regenerate(term=term, dates=DAYS)
        elif kind == "holiday":
            day = DAYS[op[1]]
            if not CalendarDay.objects.filter(term=term, date=day).exists():
                calendar_day_set(term=term, date=day, kind=CalendarDay.Kind.HOLIDAY,
                                 actor=office, reason="临时放假")
        elif kind == "reopen":
            days = list(CalendarDay.objects.filter(term=term).order_by("date"))
            if days:
                calendar_day_delete(day=days[op[1] % len(days)], actor=office)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(OPS)
    def run(ops):
        try:
            with transaction.atomic():
                for op in ops:
                    try:
                        with transaction.atomic():
                            apply(op)
                    except AttendanceError:
                        pass  # refused (a cancelled lesson, a leave that overlaps …): no write
                assert tally_differences() == []
                for month in (D(2024, 11, 1), D(2024, 12, 1)):
                    kept, counted = both_ways(world.school.pk, month, monkeypatch)
                    assert kept == counted
                raise Rollback
        except Rollback:
            pass

    run()
    assert tally_differences() == []


@pytest.mark.django_db
def test_the_tables_from_the_tallies_are_the_tables_from_the_records(
        world, django_capture_on_commit_callbacks, monkeypatch):
    """A month with every kind of write, read both ways (and the totals add up)."""
    postgres()
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=8, capacity=3)
    term, office = arranged.small.term, arranged.office
    lessons_regenerate(term=term, dates=DAYS)
    calendar_day_set(term=term, date=DAYS[1], kind=CalendarDay.Kind.HOLIDAY, actor=office,
                     reason="校庆")
    for lesson in Lesson.objects.filter(term=term, is_cancelled=False).prefetch_related(
            "tutors__user"):
        staff = tutor_of(lesson)
        kids = list(lesson.records.values_list("student_id", flat=True))
        if staff is None or not kids:
            continue
        marks = {k: STATUSES[(k + lesson.pk) % 4] for k in kids}
        roll_call_submit(lesson=lesson, actor=actor_for(staff.user, world.school), marks=marks,
                         revision=0, token=f"t{lesson.pk}",
                         now=starts_at(lesson) + dt.timedelta(minutes=2))
    record = AttendanceRecord.objects.filter(lesson__term=term, status="present").first()
    record_correct(record=record, new_status="absent", reason="核实缺勤", actor=office,
                   now=AFTER)
    for month in (D(2024, 11, 1), D(2024, 12, 1)):
        kept, counted = both_ways(world.school.pk, month, monkeypatch)
        assert kept == counted
        homerooms, _ = kept
        assert sum(r["expected"] for r in homerooms) == AttendanceRecord.objects.filter(
            lesson__term=term, lesson__is_cancelled=False, lesson__date__gte=month,
            lesson__date__lte=tables.last_day(month)).count()
    assert sum(r["absent"] for r in both_ways(world.school.pk, D(2024, 11, 1),
                                              monkeypatch)[0][0]) > 0


@pytest.mark.django_db
def test_a_spoiled_tally_is_found_and_rebuilt(world, django_capture_on_commit_callbacks,
                                              capsys):
    postgres()
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=6, capacity=3)
    lessons_regenerate(term=arranged.small.term, dates=DAYS)
    rows = AttendanceTally.objects.count()
    AttendanceTally.objects.filter(pk=AttendanceTally.objects.order_by("pk").first().pk).update(
        present=7)
    AttendanceTally.objects.filter(pk=AttendanceTally.objects.order_by("pk").last().pk).delete()
    found = tally_differences()
    assert len(found) == 2 and found[0]["kept"] != found[0]["records"]
    with pytest.raises(SystemExit):
        call_command("attendance_tally", "--check")
    assert "不一致" in capsys.readouterr().err
    call_command("attendance_tally", "--rebuild", "--school", world.school.code)
    assert "重建" in capsys.readouterr().out
    assert tally_differences() == [] and AttendanceTally.objects.count() == rows
    assert tally_rebuild() == rows


@pytest.mark.django_db(transaction=True)
def test_two_tutors_writing_at_once_lose_no_count(world, django_capture_on_commit_callbacks):
    """Two roll calls of the same section on two days of one month touch the same children's
    tally rows. The first holds its transaction open after writing; the second writes
    meanwhile, waits for the row locks, and adds its difference to the first's."""
    postgres()
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=6, capacity=3)
    lessons_regenerate(term=arranged.small.term,
                       dates=[D(2024, 11, 1) + dt.timedelta(days=i) for i in range(30)])
    by_section: dict[int, list[Lesson]] = {}
    for lesson in (Lesson.objects.filter(term=arranged.small.term, section_id__isnull=False,
                                         date__month=11, is_cancelled=False)
                   .prefetch_related("tutors__user").order_by("date")):
        if lesson.records.exists() and tutor_of(lesson) is not None:
            by_section.setdefault(lesson.section_id, []).append(lesson)
    first, second = next(v for v in by_section.values() if len(v) >= 2)[:2]
    shared = set(first.records.values_list("student_id", flat=True)) & set(
        second.records.values_list("student_id", flat=True))
    assert shared
    written = threading.Event()
    results = {}

    def roll_call(lesson, status, hold):
        try:
            staff = tutor_of(lesson)
            kids = lesson.records.values_list("student_id", flat=True)
            with transaction.atomic():
                roll_call_submit(lesson=lesson, actor=actor_for(staff.user, world.school),
                                 marks=dict.fromkeys(kids, status), revision=0,
                                 token=f"c{lesson.pk}",
                                 now=starts_at(lesson) + dt.timedelta(minutes=2))
                if hold:
                    written.set()
                    time.sleep(0.8)
            results[lesson.pk] = "ok"
        except Exception as exc:  # noqa: BLE001 — the test reads what each thread got
            results[lesson.pk] = exc
            written.set()
        finally:
            connections.close_all()

    one = threading.Thread(target=roll_call, args=(first, "absent", True))
    one.start()
    assert written.wait(timeout=20)
    started = time.monotonic()
    two = threading.Thread(target=roll_call, args=(second, "late", False))
    two.start()
    for thread in (one, two):
        thread.join(timeout=30)
    waited = time.monotonic() - started
    assert results == {first.pk: "ok", second.pk: "ok"}
    assert waited > 0.3  # the second really met the first's open transaction
    assert tally_differences() == []
    month = AttendanceTally.objects.filter(month=D(2024, 11, 1), section_id=first.section_id,
                                           student_id__in=shared)
    assert all(t.absent >= 1 and t.late >= 1 for t in month)
