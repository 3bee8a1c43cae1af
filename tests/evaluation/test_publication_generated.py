"""The 公示 of a month made by attendance's own services — the generator with a holiday, a 调休
Sunday, homeroom-mode days and a withdrawal; roll calls, a substitute, a correction after
locking — agrees with a count of the records done row by row in Python."""

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from afterschool.access import actor_for
from arrangement.services import homeroom_mode_start
from attendance.models import AttendanceRecord, CalendarDay, Lesson
from attendance.policy import is_punctual, policy_for, starts_at
from attendance.services import (
    calendar_day_set,
    lessons_regenerate,
    record_correct,
    roll_call_submit,
    substitution_assign,
)
from courses.models import Section
from enrollment.models import Application
from evaluation.services.publications import month_content
from tests.attendance.helpers import arrange

pytestmark = pytest.mark.django_db
D = dt.date
NOVEMBER = [D(2024, 11, 1) + dt.timedelta(days=i) for i in range(30)]
HOLIDAY, MAKEUP = D(2024, 11, 11), D(2024, 11, 17)       # a Monday off, a Sunday as Monday
MODE = (D(2024, 11, 19), D(2024, 11, 20))               # homeroom mode, Tuesday–Wednesday
WITHDRAWN = D(2024, 11, 14)
SUBSTITUTED = D(2024, 11, 13)                           # the tutor's Wednesday 书法


@pytest.fixture
def november(world, django_capture_on_commit_callbacks):
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=8, capacity=3)
    term, office = arranged.small.term, arranged.office
    calendar_day_set(term=term, date=HOLIDAY, kind=CalendarDay.Kind.HOLIDAY, actor=office,
                     reason="校庆")
    calendar_day_set(term=term, date=MAKEUP, kind=CalendarDay.Kind.MAKEUP, runs_as_weekday=1,
                     actor=office, reason="调休")
    homeroom_mode_start(term=term, actor=office, start_date=MODE[0], end_date=MODE[1],
                        reason="流感")
    leaver = arranged.small.applications[-1]
    Application.objects.filter(pk=leaver.pk).update(status="withdrawn", withdrawn_on=WITHDRAWN,
                                                    withdraw_reason="转学")
    lessons_regenerate(term=term, dates=NOVEMBER)
    substitution_assign(actor=office, substitute=world.duty_teacher, term=term,
                        tutor=world.tutor, start_date=SUBSTITUTED, end_date=SUBSTITUTED,
                        reason="外出培训")
    rng = random.Random(13)
    lessons = list(Lesson.objects.filter(term=term, date__in=NOVEMBER, is_cancelled=False)
                   .select_related("substitute__user", "term").prefetch_related("tutors__user")
                   .order_by("date", "start_time", "pk"))
    skipped = None
    for lesson in lessons:
        staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
        if staff is None or staff.user is None:
            continue
        if skipped is None and lesson.date.weekday() == 1:
            skipped = lesson  # one roll call never taken
            continue
        kids = list(lesson.records.values_list("student_id", flat=True))
        marks = {k: rng.choice(["present"] * 8 + ["late", "leave", "absent"]) for k in kids}
        minutes = rng.choice([1, 3, 5, 9, 12, 25])
        roll_call_submit(lesson=lesson, actor=actor_for(staff.user, world.school), marks=marks,
                         revision=0, token=f"t{lesson.pk}",
                         now=starts_at(lesson) + dt.timedelta(minutes=minutes))
    record = (AttendanceRecord.objects.filter(lesson__term=term, lesson__date__in=NOVEMBER)
              .exclude(status="").exclude(status="leave").order_by("pk").first())
    record_correct(record=record, new_status="leave", reason="补交病假条", actor=office,
                   now=dt.datetime(2024, 12, 1, 9, tzinfo=dt.UTC))
    return {"term": term, "leaver": leaver.student, "skipped": skipped, "record": record}


def by_hand(world):
    """The same tables, counted record by record and lesson by lesson in Python."""
    records = list(AttendanceRecord.objects.filter(
        lesson__term__school=world.school, lesson__date__in=NOVEMBER,
        lesson__is_cancelled=False).select_related("lesson", "student__homeroom__grade"))
    course_of = dict(Section.objects.values_list("pk", "course__name"))
    kind_rows = {"homework": "作业辅导", "homeroom": "按班级开展（特色课程+作业辅导）",
                 "fixed": "固定课程", "reading": "寄宿生晚读"}
    homerooms, courses = defaultdict(Counter), defaultdict(Counter)
    students = defaultdict(set)
    for r in records:
        status = r.status or "missing"
        for table, key in ((homerooms, r.student.homeroom.name),
                           (courses, course_of.get(r.lesson.section_id)
                            or kind_rows[r.lesson.kind])):
            table[key]["expected"] += 1
            table[key][status] += 1
            students[(id(table), key)].add(r.student_id)
    teachers = defaultdict(Counter)
    policy = policy_for(world.school.pk)
    for lesson in Lesson.objects.filter(term__school=world.school, date__in=NOVEMBER,
                                        is_cancelled=False).prefetch_related("tutors",
                                                                             "records"):
        credited = [lesson.substitute] if lesson.substitute else list(lesson.tutors.all())
        taken = lesson.roll_call_at is not None or any(r.status for r in lesson.records.all())
        for staff in credited:
            c = teachers[staff.name]
            c["lessons_scheduled"] += 1
            c["lessons_delivered"] += taken
            c["roll_calls_on_time"] += bool(is_punctual(lesson, policy))
            c["substitutions"] += bool(taken and lesson.substitute)
            c["period_equivalents"] += taken

    def rows(table):
        return {name: {"students": len(students[(id(table), name)]), **{
            k: c[k] for k in ("expected", "present", "late", "leave", "absent", "missing")}}
            for name, c in table.items()}

    return rows(homerooms), rows(courses), {n: dict(c) for n, c in teachers.items()}


def test_the_publication_is_exactly_the_records(world, november):
    content = month_content(world.school, D(2024, 11, 1))
    homerooms, courses, teachers = by_hand(world)
    keys = ("students", "expected", "present", "late", "leave", "absent", "missing")
    assert {r["name"]: {k: r[k] for k in keys} for r in content["homerooms"]} == homerooms
    assert {r["name"]: {k: r[k] for k in keys} for r in content["courses"]} == courses
    got = {r["name"]: {k: r[k] for k in ("lessons_scheduled", "lessons_delivered",
                                         "roll_calls_on_time", "substitutions")}
           | {"period_equivalents": int(r["period_equivalents"])} for r in content["teachers"]}
    assert got == {n: {k: c.get(k, 0) for k in got[n]} for n, c in teachers.items()}
    assert sum(r["expected"] for r in content["courses"]) == content["totals"]["expected"]


def test_the_month_has_what_the_calendar_and_the_families_said(world, november):
    content = month_content(world.school, D(2024, 11, 1))
    records = AttendanceRecord.objects.filter(lesson__term=november["term"],
                                              lesson__is_cancelled=False)
    # No one is expected on the holiday; the 调休 Sunday runs Monday's lessons.
    assert not records.filter(lesson__date=HOLIDAY).exists()
    sunday = set(Lesson.objects.filter(date=MAKEUP, is_cancelled=False)
                 .values_list("key", flat=True))
    monday = set(Lesson.objects.filter(date=D(2024, 11, 4), is_cancelled=False)
                 .values_list("key", flat=True))
    assert sunday and sunday == monday
    # Homeroom mode turns those days' clubs into homeroom groups, a row of the course table.
    assert set(Lesson.objects.filter(date__in=MODE, is_cancelled=False)
               .values_list("kind", flat=True)) <= {"homeroom", "homework", "fixed"}
    assert "按班级开展（特色课程+作业辅导）" in {r["name"] for r in content["courses"]}
    # The child who withdrew is expected before the 14th and never from it.
    leaver = records.filter(student=november["leaver"])
    assert leaver.filter(lesson__date__lt=WITHDRAWN).exists()
    assert not leaver.filter(lesson__date__gte=WITHDRAWN).exists()
    # The substitute's Wednesday counts for the substitute; the untaken roll call is missing.
    substitute = next(r for r in content["teachers"] if r["name"] == world.duty_teacher.name)
    assert substitute["substitutions"] >= 1
    untaken = records.filter(lesson__date__in=NOVEMBER, lesson__roll_call_at__isnull=True)
    assert november["skipped"].records.count() > 0
    assert content["totals"]["missing"] == untaken.count()
    # The correction: the record's new value is what is counted.
    november["record"].refresh_from_db()
    assert november["record"].status == "leave"
