"""Roll call: one request per lesson, idempotent, refusals; corrections; substitutes; pages."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from attendance import exceptions as e
from attendance.models import AttendanceCorrection, AttendancePolicy, AttendanceRecord, Lesson
from attendance.services import (
    lessons_regenerate,
    record_correct,
    roll_call_submit,
    substitution_assign,
)
from tests.factories import StudentFactory

from .helpers import TUESDAY, WEDNESDAY, arrange, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def arranged(world, django_capture_on_commit_callbacks):
    return arrange(world, django_capture_on_commit_callbacks, n_students=8, capacity=3)


def basketball(arranged, date=TUESDAY):
    section = arranged.small.courses["basketball"].sections.get()
    lessons_regenerate(term=arranged.small.term, dates=[date])
    return Lesson.objects.get(date=date, key=f"section:{section.pk}")


def students_of(lesson):
    return list(lesson.records.order_by("student_id").values_list("student_id", flat=True))


@pytest.fixture
def coach(world):
    return actor_for(world.external.user, world.school)


def test_roll_call_writes_every_record_and_keeps_punctuality(world, arranged, coach):
    lesson = basketball(arranged)
    ids = students_of(lesson)
    marks = dict.fromkeys(ids, "present")
    marks[ids[0]] = "late"
    result = roll_call_submit(lesson=lesson, actor=coach, marks=marks, revision=0, token="a",
                              now=at(TUESDAY, 17, 45))
    assert len(result.changed) == len(ids)
    assert dict(lesson.records.values_list("student_id", "status")) == marks
    lesson.refresh_from_db()
    assert lesson.roll_call_by == world.external
    assert lesson.roll_call_revision == 1
    from attendance.policy import is_punctual, policy_for
    assert is_punctual(lesson, policy_for(world.school.pk)) is False  # 17:45 > 17:30 + 10


def test_the_same_submission_twice_is_applied_once(arranged, coach):
    lesson = basketball(arranged)
    marks = dict.fromkeys(students_of(lesson), "present")
    roll_call_submit(lesson=lesson, actor=coach, marks=marks, revision=0, token="same",
                     now=at(TUESDAY, 17, 31))
    again = roll_call_submit(lesson=lesson, actor=coach, marks=marks, revision=0, token="same",
                             now=at(TUESDAY, 17, 33))
    assert again.duplicate and again.changed == []
    lesson.refresh_from_db()
    assert lesson.roll_call_revision == 1
    assert AttendanceRecord.objects.filter(lesson=lesson).count() == len(marks)


def test_a_stale_form_is_refused(arranged, coach):
    lesson = basketball(arranged)
    marks = dict.fromkeys(students_of(lesson), "present")
    roll_call_submit(lesson=lesson, actor=coach, marks=marks, revision=0, token="one",
                     now=at(TUESDAY, 17, 31))
    other = {k: "absent" for k in marks}
    with pytest.raises(e.AttendanceError) as exc:
        roll_call_submit(lesson=lesson, actor=coach, marks=other, revision=0, token="two",
                         now=at(TUESDAY, 17, 32))
    assert "刚刚已由" in exc.value.message
    assert set(lesson.records.values_list("status", flat=True)) == {"present"}


def test_refusals_write_nothing(world, arranged, coach):
    lesson = basketball(arranged)
    ids = students_of(lesson)
    marks = dict.fromkeys(ids, "present")
    stranger = StudentFactory(school=world.school, homeroom=world.homeroom)
    tutor = actor_for(world.tutor.user, world.school)
    cases = [
        (dict(actor=tutor, marks=marks, now=at(TUESDAY, 17, 31)), e.ROLL_CALL_NOT_YOURS),
        (dict(actor=coach, marks={**marks, stranger.pk: "present"}, now=at(TUESDAY, 17, 31)),
         e.ROLL_CALL_STUDENT_NOT_ON_LESSON.format(student=stranger.pk)),
        (dict(actor=coach, marks=marks, now=at(WEDNESDAY, 9)), "已于"),
        (dict(actor=coach, marks={**marks, ids[0]: "sleeping"}, now=at(TUESDAY, 17, 31)),
         "无效"),
    ]
    for kwargs, message in cases:
        with pytest.raises(e.AttendanceError) as exc:
            roll_call_submit(lesson=lesson, revision=0, token="x", **kwargs)
        assert message in exc.value.message
    assert set(lesson.records.values_list("status", flat=True)) == {""}
    lesson.refresh_from_db()
    assert lesson.roll_call_at is None


def test_lock_then_correction_by_the_office_only(world, arranged, coach):
    lesson = basketball(arranged)
    ids = students_of(lesson)
    roll_call_submit(lesson=lesson, actor=coach, marks=dict.fromkeys(ids, "absent"), revision=0,
                     token="t", now=at(TUESDAY, 17, 31))
    record = lesson.records.get(student_id=ids[0])
    office = arranged.office
    with pytest.raises(e.AttendanceError, match=e.CORRECTION_NOT_LOCKED):
        record_correct(record=record, new_status="leave", reason="病假", actor=office,
                       now=at(TUESDAY, 18))
    with pytest.raises(e.AttendanceError, match=e.CORRECTION_NOT_ALLOWED):
        record_correct(record=record, new_status="leave", reason="病假", actor=coach,
                       now=at(WEDNESDAY, 9))
    with pytest.raises(e.AttendanceError, match=e.CORRECTION_NEEDS_REASON):
        record_correct(record=record, new_status="leave", reason="  ", actor=office,
                       now=at(WEDNESDAY, 9))
    correction = record_correct(record=record, new_status="leave", reason="家长补交病假条",
                                actor=office, now=at(WEDNESDAY, 9))
    record.refresh_from_db()
    assert record.status == "leave"
    assert (correction.old_status, correction.new_status, correction.corrected_by) == (
        "absent", "leave", world.coordinator)
    assert AttendanceCorrection.objects.count() == 1


def test_a_substitute_takes_the_roll_call_and_it_counts_for_them(world, arranged, coach):
    lesson = basketball(arranged)
    substitution_assign(actor=arranged.office, lesson=lesson, substitute=world.tutor,
                        reason="钱教练外出比赛")
    lesson.refresh_from_db()
    assert lesson.substitute == world.tutor
    marks = dict.fromkeys(students_of(lesson), "present")
    with pytest.raises(e.AttendanceError, match=e.ROLL_CALL_NOT_YOURS):
        roll_call_submit(lesson=lesson, actor=coach, marks=marks, revision=0, token="c",
                         now=at(TUESDAY, 17, 31))
    tutor = actor_for(world.tutor.user, world.school)
    roll_call_submit(lesson=lesson, actor=tutor, marks=marks, revision=0, token="t",
                     now=at(TUESDAY, 17, 31))
    lesson.refresh_from_db()
    assert lesson.roll_call_by == world.tutor
    # Regeneration keeps the substitute of an untaken lesson of the range.
    next_week = TUESDAY + timezone.timedelta(days=7)
    lessons_regenerate(term=arranged.small.term, dates=[next_week])
    substitution_assign(actor=arranged.office, term=arranged.small.term, tutor=world.external,
                        substitute=world.tutor, start_date=next_week, end_date=next_week)
    lessons_regenerate(term=arranged.small.term, dates=[next_week])
    assert Lesson.objects.get(date=next_week, key=lesson.key).substitute == world.tutor


# ------------------------------------------------------------------ pages


def _grow(world, arranged, extra):
    """More children in basketball: the roster's query count must not follow."""
    from arrangement.models import Placement
    from enrollment.models import Application

    section = arranged.small.courses["basketball"].sections.get()
    for _ in range(extra):
        child = StudentFactory(school=world.school, homeroom=world.homeroom)
        app = Application.objects.create(school=world.school, term=arranged.small.term,
                                         student=child, status=Application.Status.PLACED,
                                         participates=True, weekdays=[1, 2, 3, 4],
                                         health_notes="哮喘")
        Placement.objects.create(arrangement=arranged.run, student=child, application=app,
                                 course=section.course, section=section)


@pytest.mark.parametrize("extra", [0, 20])
def test_roll_call_page_queries_are_constant(world, arranged, login, extra, settings,
                                             django_assert_max_num_queries, monkeypatch):
    _grow(world, arranged, extra)
    lesson = basketball(arranged)
    monkeypatch.setattr(timezone, "now", lambda: at(TUESDAY, 17, 31))
    client = login(world.external.user)
    url = reverse("attendance:roll_call", args=[lesson.pk])
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="radio"') == 4 * lesson.records.count()
    data = {f"s-{s}": "present" for s in students_of(lesson)}
    data.update(revision="0", token="tok")
    # 9 whatever the size: the session, the user, the actor, the lesson locked with its policy,
    # the records with their approved leave, one UPDATE of the records, one of the lesson (and
    # two savepoints); one spare for the per-lesson tally the roll call is to keep (issue 13).
    with django_assert_max_num_queries(10):
        done = client.post(url, data)
    assert done.status_code == 302
    assert set(lesson.records.values_list("status", flat=True)) == {"present"}


def test_roll_call_page_refuses_others_and_anonymous(world, arranged, login, client):
    lesson = basketball(arranged)
    url = reverse("attendance:roll_call", args=[lesson.pk])
    assert client.get(url).status_code == 302
    guardian = login(world.guardian.user)
    assert guardian.get(url).status_code == 404
    tutor = login(world.tutor.user)  # not this lesson's tutor: not even visible
    assert tutor.get(url).status_code == 404


def test_a_submission_from_someone_who_may_not_see_the_lesson_is_404_and_writes_nothing(
        world, arranged, login, client, coach, monkeypatch):
    """The POST reads the lesson through the service's lock, not the visibility scope first:
    a stranger's submission, even a resend carrying the lesson's own token, still answers 404."""
    lesson = basketball(arranged)
    monkeypatch.setattr(timezone, "now", lambda: at(TUESDAY, 17, 31))
    url = reverse("attendance:roll_call", args=[lesson.pk])
    data = {f"s-{s}": "absent" for s in students_of(lesson)}
    data.update(revision="0", token="tok")
    assert client.post(url, data).status_code == 302  # anonymous: to the login page
    for user in (world.guardian.user, world.tutor.user):
        assert login(user).post(url, data).status_code == 404
        assert login(user).post(url, {**data, "all_present": "1"}).status_code == 404
    assert login(world.external.user).post(
        reverse("attendance:roll_call", args=[lesson.pk + 1000]), data).status_code == 404
    assert set(lesson.records.values_list("status", flat=True)) == {""}
    roll_call_submit(lesson=lesson, actor=coach, marks=dict.fromkeys(students_of(lesson),
                                                                     "present"),
                     revision=0, token="tok", now=at(TUESDAY, 17, 31))
    assert login(world.tutor.user).post(url, data).status_code == 404
    assert login(world.external.user).post(url, data).status_code == 302  # the resend
    assert set(lesson.records.values_list("status", flat=True)) == {"present"}
    assert Lesson.objects.get(pk=lesson.pk).roll_call_revision == 1


def test_all_present_marks_everyone_on_the_lesson(world, arranged, login, monkeypatch):
    lesson = basketball(arranged)
    monkeypatch.setattr(timezone, "now", lambda: at(TUESDAY, 17, 31))
    ids = students_of(lesson)
    done = login(world.external.user).post(
        reverse("attendance:roll_call", args=[lesson.pk]),
        {f"s-{ids[0]}": "absent", "all_present": "1", "revision": "0", "token": "all"})
    assert done.status_code == 302
    assert dict(lesson.records.values_list("student_id", "status")) == dict.fromkeys(
        ids, "present")


@pytest.mark.parametrize("extra", [0, 15])
def test_board_and_today_and_month_queries_are_constant(world, arranged, login, extra,
                                                        django_assert_max_num_queries,
                                                        monkeypatch):
    _grow(world, arranged, extra)
    lessons_regenerate(term=arranged.small.term, dates=[TUESDAY, WEDNESDAY])
    monkeypatch.setattr(timezone, "now", lambda: at(TUESDAY, 17, 50))
    office = login(world.coordinator)
    with django_assert_max_num_queries(16):
        board = office.get(reverse("attendance:board_live"))
    assert board.status_code == 200
    assert "未点名" in board.content.decode()  # 17:50: every lesson is overdue
    with django_assert_max_num_queries(14):
        month = office.get(reverse("attendance:homeroom_month", args=[world.homeroom.pk])
                           + "?month=2024-11")
    assert month.status_code == 200
    coach = login(world.external.user)
    with django_assert_max_num_queries(16):
        today = coach.get(reverse("attendance:today"))
    assert "篮球" in today.content.decode() and "迟交" in today.content.decode()


def test_calendar_page_refuses_a_date_outside_the_term(world, arranged, login, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: TUESDAY)
    office = login(world.coordinator)
    page = office.post(reverse("attendance:calendar"),
                       {"date": "2025-03-01", "kind": "holiday", "reason": "x"})
    assert page.status_code == 400
    assert "不在本学期" in page.content.decode()
    AttendancePolicy.objects.get_or_create(school=world.school)


# ------------------------------------------------------------------ concurrency (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_phones_submitting_at_once_give_one_consistent_result(world, coach,
                                                                  django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL（设置 DATABASE_URL）")
    arranged = arrange(world, django_capture_on_commit_callbacks, n_students=8, capacity=3)
    lesson = basketball(arranged)
    ids = students_of(lesson)
    barrier = threading.Barrier(2)
    outcomes = []

    def phone(status, token):
        from django.db import connections
        try:
            barrier.wait()
            roll_call_submit(lesson=lesson, actor=coach, marks=dict.fromkeys(ids, status),
                             revision=0, token=token, now=at(TUESDAY, 17, 31))
            outcomes.append(status)
        except e.AttendanceError as exc:
            outcomes.append(exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=phone, args=(s, t))
               for s, t in (("present", "p1"), ("late", "p2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o in ("present", "late")]
    assert len(winners) == 1
    assert set(Lesson.objects.get(pk=lesson.pk).records.values_list("status", flat=True)) == {
        winners[0]}
    assert Lesson.objects.get(pk=lesson.pk).roll_call_revision == 1
