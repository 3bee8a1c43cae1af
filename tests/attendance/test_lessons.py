"""Lesson generation: the arrangement's meetings, the calendar, regeneration that keeps history."""

import datetime as dt

import pytest

from afterschool.access import actor_for
from attendance import exceptions as e
from attendance.models import AttendancePolicy, AttendanceRecord, CalendarDay, Lesson
from attendance.services import (
    calendar_day_delete,
    calendar_day_set,
    lessons_regenerate,
    roll_call_submit,
)
from attendance.services.lessons import planned_lessons
from tests.factories import GradeFactory, HomeroomFactory, StudentFactory

from .helpers import FRIDAY, MONDAY, SUNDAY, TUESDAY, WEEK, arrange, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def arranged(world, django_capture_on_commit_callbacks):
    return arrange(world, django_capture_on_commit_callbacks)


def keys_on(term, date):
    return sorted((les.kind, les.key) for les in Lesson.objects.filter(
        term=term, date=date, is_cancelled=False))


def test_a_week_has_the_arrangements_meetings_with_their_children(world, arranged):
    term = arranged.small.term
    lessons_regenerate(term=term, dates=list(WEEK))
    run = arranged.run
    for date in WEEK:
        group = run.homework_groups.get(weekday=date.isoweekday())
        homework = Lesson.objects.get(term=term, date=date, key=f"homework:{group.pk}")
        assert set(homework.records.values_list("student_id", flat=True)) == set(
            group.members.values_list("student_id", flat=True))
        assert list(homework.tutors.all()) == ([group.tutor] if group.tutor else [])
        assert all(r.status == "" for r in homework.records.all())
    # Tuesday's basketball has exactly the children placed in it.
    basketball = arranged.small.courses["basketball"].sections.get()
    lesson = Lesson.objects.get(term=term, date=TUESDAY, key=f"section:{basketball.pk}")
    assert set(lesson.records.values_list("student_id", flat=True)) == set(
        run.placements.filter(section=basketball).values_list("student_id", flat=True))
    # Monday's 阅读写字 of homeroom 1 is a fixed lesson of its placed children only.
    fixed = Lesson.objects.get(term=term, date=MONDAY, key=f"section:{arranged.reading.pk}")
    assert fixed.kind == Lesson.Kind.FIXED
    assert set(fixed.records.values_list("student__homeroom", flat=True)) == {world.homeroom.pk}
    # No service on Friday.
    assert keys_on(term, FRIDAY) == []


def test_generation_is_idempotent(arranged):
    term = arranged.small.term
    first = lessons_regenerate(term=term, dates=list(WEEK))
    again = lessons_regenerate(term=term, dates=list(WEEK))
    assert first.created > 0
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)


def test_holiday_cancels_and_removal_restores(world, arranged):
    term, office = arranged.small.term, arranged.office
    lessons_regenerate(term=term, dates=[MONDAY])
    before = keys_on(term, MONDAY)
    day, generated = calendar_day_set(term=term, date=MONDAY, kind=CalendarDay.Kind.HOLIDAY,
                                      actor=office, reason="校庆")
    assert generated.cancelled == len(before)
    assert keys_on(term, MONDAY) == []
    assert not AttendanceRecord.objects.filter(lesson__date=MONDAY).exists()
    calendar_day_delete(day=day, actor=office)
    assert keys_on(term, MONDAY) == before


def test_makeup_sunday_runs_as_monday(arranged):
    term, office = arranged.small.term, arranged.office
    lessons_regenerate(term=term, dates=[MONDAY, SUNDAY])
    assert keys_on(term, SUNDAY) == []
    calendar_day_set(term=term, date=SUNDAY, kind=CalendarDay.Kind.MAKEUP,
                     runs_as_weekday=1, actor=office, reason="国庆调休")
    sunday = keys_on(term, SUNDAY)
    # The same sections as Monday; the homework group is Monday's.
    assert [k for k in sunday if k[0] != "homework"] == \
        [k for k in keys_on(term, MONDAY) if k[0] != "homework"]
    group = arranged.run.homework_groups.get(weekday=1)
    assert ("homework", f"homework:{group.pk}") in sunday


def test_suspension_of_one_grade_leaves_the_other(world, arranged):
    term, office = arranged.small.term, arranged.office
    eight = GradeFactory(school=world.school, number=8)
    homeroom8 = HomeroomFactory(school=world.school, grade=eight, number=1)
    boarder7 = StudentFactory(school=world.school, homeroom=world.homeroom, is_boarder=True)
    boarder8 = StudentFactory(school=world.school, homeroom=homeroom8, is_boarder=True)
    AttendancePolicy.objects.create(school=world.school, reading_start_time=dt.time(19),
                                    reading_end_time=dt.time(19, 40))
    lessons_regenerate(term=term, dates=[TUESDAY])
    readings = Lesson.objects.filter(date=TUESDAY, kind=Lesson.Kind.READING)
    assert {(r.homeroom_id, tuple(r.records.values_list("student_id", flat=True)))
            for r in readings} == {(world.homeroom.pk, (boarder7.pk,)),
                                   (homeroom8.pk, (boarder8.pk,))}
    assert readings.get(homeroom=world.homeroom).tutors.get() == world.homeroom_teacher
    calendar_day_set(term=term, date=TUESDAY, kind=CalendarDay.Kind.SUSPENDED, grade=world.homeroom.grade,
                     actor=office, reason="七年级研学")
    left = Lesson.objects.filter(date=TUESDAY, is_cancelled=False)
    assert list(left.values_list("homeroom_id", flat=True)) == [homeroom8.pk]


def test_homeroom_mode_turns_clubs_into_homerooms(world, arranged, django_capture_on_commit_callbacks):
    from arrangement.services import homeroom_mode_start

    term, office = arranged.small.term, arranged.office
    homeroom_mode_start(term=term, actor=office, start_date=TUESDAY, end_date=TUESDAY,
                        reason="流感")
    planned = planned_lessons(term, [TUESDAY])
    kinds = {spec.kind for spec in planned.values()}
    assert kinds == {Lesson.Kind.HOMEROOM}
    homerooms = {spec.homeroom_id for spec in planned.values()}
    assert homerooms == {world.homeroom.pk, world.other_homeroom.pk}


def test_regeneration_never_touches_a_taken_lesson(world, arranged):
    term, office = arranged.small.term, arranged.office
    lessons_regenerate(term=term, dates=[TUESDAY])
    basketball = arranged.small.courses["basketball"].sections.get()
    lesson = Lesson.objects.get(date=TUESDAY, key=f"section:{basketball.pk}")
    coach = actor_for(world.external.user, world.school)
    students = list(lesson.records.values_list("student_id", flat=True))
    roll_call_submit(lesson=lesson, actor=coach, marks=dict.fromkeys(students, "present"),
                     revision=0, token="t1", now=at(TUESDAY, 17, 32))
    # Regenerating the same day keeps the taken lesson and makes no second one.
    again = lessons_regenerate(term=term, dates=[TUESDAY])
    assert (again.created, again.kept) == (0, 1)
    assert Lesson.objects.filter(date=TUESDAY, key=lesson.key).count() == 1
    result, = [calendar_day_set(term=term, date=TUESDAY, kind=CalendarDay.Kind.HOLIDAY,
                                actor=office)[1]]
    assert result.kept == 1
    lesson.refresh_from_db()
    assert not lesson.is_cancelled
    assert sorted(lesson.records.values_list("status", flat=True)) == ["present"] * len(students)


def test_calendar_refusals(world, arranged):
    term, office = arranged.small.term, arranged.office
    with pytest.raises(e.AttendanceError) as exc:
        calendar_day_set(term=term, date=term.end_date + dt.timedelta(days=1),
                         kind=CalendarDay.Kind.HOLIDAY, actor=office)
    assert "不在本学期" in exc.value.message
    with pytest.raises(e.AttendanceError, match=e.CALENDAR_MAKEUP_NEEDS_WEEKDAY):
        calendar_day_set(term=term, date=SUNDAY, kind=CalendarDay.Kind.MAKEUP, actor=office)
    with pytest.raises(e.AttendanceError, match=e.CALENDAR_GRADE_ONLY_FOR_SUSPENSION):
        calendar_day_set(term=term, date=MONDAY, kind=CalendarDay.Kind.HOLIDAY,
                         grade=world.homeroom.grade, actor=office)
    calendar_day_set(term=term, date=MONDAY, kind=CalendarDay.Kind.HOLIDAY, actor=office)
    with pytest.raises(e.AttendanceError) as exc:
        calendar_day_set(term=term, date=MONDAY, kind=CalendarDay.Kind.SUSPENDED, actor=office)
    assert "已有校历调整" in exc.value.message
    assert CalendarDay.objects.count() == 1
