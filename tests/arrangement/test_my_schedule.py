"""The guardian's timetable: everything the child has each day of the week, when the day ends
and how the child goes home; a withdrawn child reads as withdrawn, never as placed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from arrangement import services
from arrangement.selectors import children_schedules
from arrangement.selectors.meetings import schedule_week
from courses.models import Course
from enrollment.models import Application, PickupPerson
from tests.courses.factories import CourseFactory, SectionFactory

from .factories import run_now, small_term

MONDAY = dt.date(2024, 11, 11)


@pytest.fixture
def school(world, django_capture_on_commit_callbacks):
    """Small term with 周一阅读写字 in 七年级1班 and a published run; the child is fetched."""
    office = actor_for(world.coordinator, world.school)
    st = small_term(world, n_students=6, capacity=2)
    reading = CourseFactory(term=st.term, name="阅读写字", category="阅读写字",
                            mode=Course.Mode.HOMEROOM, is_fixed=True, grades=[st.grade])
    SectionFactory(course=reading, name="七年级1班", homeroom=world.homeroom, slots=[(1, 2)],
                   tutors=[world.homeroom_teacher], venue="七年级1班教室")
    app = Application.objects.get(term=st.term, student=world.child)
    app.dismissal = "picked_up"
    app.save()
    PickupPerson.objects.create(application=app, name="张爷爷", relation="爷爷", phone="13900139000")
    run = run_now(st.term, office, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return st, run


def test_the_week_shown(world):
    term = world.term                              # 2024-09-09 … 2025-01-17, Mon–Thu
    assert schedule_week(term, MONDAY) == [MONDAY + dt.timedelta(days=i) for i in range(4)]
    saturday = MONDAY + dt.timedelta(days=5)       # the weekend looks at the next week
    assert schedule_week(term, saturday)[0] == MONDAY + dt.timedelta(days=7)
    assert schedule_week(term, dt.date(2024, 8, 20))[0] == dt.date(2024, 9, 9)
    assert schedule_week(term, dt.date(2025, 3, 1)) == []


def test_every_day_has_homework_fixed_items_club_end_and_pickup(world, school):
    st, run = school
    group = run.homework_groups.filter(members__student=world.child, weekday=1).get()
    group.room = "七年级1班教室"
    group.tutor = world.tutor
    group.save()
    [entry] = [e for e in children_schedules([world.child], st.term, MONDAY)]
    days = {d.date: d for d in entry["days"]}
    monday = days[MONDAY]
    kinds = [m.kind for m in monday.meetings]
    assert "homework" in kinds and "fixed" in kinds
    homework = next(m for m in monday.meetings if m.kind == "homework")
    assert homework.venue == "七年级1班教室" and homework.tutors == [world.tutor]
    assert any(m.title.startswith("阅读写字") for m in monday.meetings)
    placement = run.placements.get(student=world.child)
    club_day = placement.section.slots.first().weekday
    club_date = MONDAY + dt.timedelta(days=club_day - 1)
    assert any(m.section == placement.section for m in days[club_date].meetings)
    # The day ends with its last meeting, and says where the child is fetched.
    last = max(days[club_date].meetings, key=lambda m: m.period.end_time)
    assert days[club_date].going_home.startswith(f"{last.period.end_time:%H:%M} 放学，请到")
    assert last.venue in days[club_date].going_home


def test_going_home_follows_the_form(world, school):
    st, run = school
    app = Application.objects.get(term=st.term, student=world.other_child)
    app.dismissal, app.alone_consent = "alone", True
    app.save()
    [entry] = children_schedules([world.other_child], st.term, MONDAY)
    assert all("自行回家" in d.going_home for d in entry["days"])
    world.other_child.is_boarder = True
    world.other_child.save()
    [entry] = children_schedules([world.other_child], st.term, MONDAY)
    assert all("住校" in d.going_home for d in entry["days"])


def test_a_withdrawn_child_is_withdrawn_from_the_effective_date(world, school):
    st, run = school
    app = Application.objects.get(term=st.term, student=world.child)
    wednesday = MONDAY + dt.timedelta(days=2)
    Application.objects.filter(pk=app.pk).update(status="withdrawn", withdrawn_on=wednesday,
                                                 withdraw_reason="转学")
    [entry] = children_schedules([world.child], st.term, MONDAY)
    assert entry["withdrawn"] == wednesday
    assert [d.date for d in entry["days"]] == [MONDAY, MONDAY + dt.timedelta(days=1)]


def test_the_page(world, login, school):
    st, run = school
    today = timezone.localdate()
    st.term.start_date, st.term.end_date = today - dt.timedelta(days=30), today + dt.timedelta(days=60)
    st.term.service_weekdays = [1, 2, 3, 4, 5, 6, 7]
    st.term.save()
    client = login(world.guardian.user)
    page = client.get(reverse("arrangement:my_schedule")).content.decode()
    assert "作业辅导" in page and "放学" in page
    if today.isoweekday() == 1 or any(d.isoweekday() == 1 for d in schedule_week(st.term, today)):
        assert "阅读写字" in page
    Application.objects.filter(term=st.term, student=world.child).update(
        status="withdrawn", withdrawn_on=today - dt.timedelta(days=1), withdraw_reason="转学")
    page = client.get(reverse("arrangement:my_schedule")).content.decode()
    assert "已退出课后服务" in page
    child_card = page.split(world.child.name, 1)[1].split("card-header", 1)[0]
    assert "已安排" not in child_card
