"""The capacity planner: demand per weekday and homeroom, tutors at 25 per tutor, courses'
first-choice demand against their planned sections, counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboards.capacity import capacity_plan, groups_for
from enrollment.models import Application
from tests import factories as f
from tests.arrangement.factories import make_application, make_course

pytestmark = pytest.mark.django_db
Status = Application.Status


def students(world, homeroom, n):
    return [f.StudentFactory(school=world.school, homeroom=homeroom) for _ in range(n)]


def test_groups_round_up_at_25():
    assert [groups_for(n) for n in (0, 1, 25, 26, 50, 51)] == [0, 1, 1, 2, 2, 3]
    assert groups_for(120, 24) == 5


def test_weekday_demand_tutors_and_homework_groups_by_homeroom(world):
    grade = world.homeroom.grade
    basketball = make_course(world.term, "篮球", grades=[grade], sections=((25, ((2, 2),)),))
    big = students(world, world.homeroom, 30)
    small = students(world, world.other_homeroom, 10)
    for s in big:
        make_application(world.term, s, [basketball], weekdays=(1, 2), status=Status.SUBMITTED)
    for s in small:
        make_application(world.term, s, weekdays=(1,), status=Status.CLASS_APPROVED)
    # Not counted: a draft, a withdrawal, a rejection, a "we do not need it".
    make_application(world.term, world.child, weekdays=(1,), status=Status.DRAFT)
    make_application(world.term, world.sibling, weekdays=(1,), status=Status.SCHOOL_REJECTED)
    make_application(world.term, world.other_child, status=Status.SUBMITTED,
                     participates=False, weekdays=())
    plan = capacity_plan(world.term)
    assert (plan.forms, plan.declined, plan.drafts) == (40, 1, 1)
    days = {d.weekday: d for d in plan.weekdays}
    assert [d.weekday for d in plan.weekdays] == [1, 2, 3, 4]
    # Monday: 40 children → 2 tutors at 25 each, but 30 + 10 by homeroom → 2 + 1 groups.
    assert (days[1].children, days[1].tutors_at_norm, days[1].homework_groups) == (40, 2, 3)
    assert (days[2].children, days[2].tutors_at_norm, days[2].homework_groups) == (30, 2, 2)
    assert (days[3].children, days[3].homework_groups) == (0, 0)
    rows = {h.homeroom.pk: h for h in plan.homerooms}
    assert (rows[world.homeroom.pk].applied, rows[world.homeroom.pk].by_weekday) == (30, {1: 30,
                                                                                         2: 30})
    assert rows[world.homeroom.pk].students == 32   # 30 new + 张小明 + 李华


def test_staff_available_each_weekday_and_the_shortage(world):
    homeroom = world.homeroom
    for s in students(world, homeroom, 60):
        make_application(world.term, s, weekdays=(3,), status=Status.SUBMITTED)
    from afterschool.models import Staff

    Staff.objects.filter(school=world.school).update(available_weekdays=[1, 2])
    f.StaffFactory(school=world.school, available_weekdays=[3])
    plan = capacity_plan(world.term)
    wednesday = next(d for d in plan.weekdays if d.weekday == 3)
    assert (wednesday.children, wednesday.homework_groups, wednesday.staff_available) == (60, 3, 1)
    assert wednesday.short == 2


def test_course_demand_against_planned_sections_and_the_suggestion(world):
    grade = world.homeroom.grade
    basketball = make_course(world.term, "篮球", grades=[grade],
                             sections=((24, ((2, 2),)), (24, ((3, 2),)), (24, ((4, 2),))))
    robotics = make_course(world.term, "机器人", grades=[grade], sections=(), min_size=10)
    calligraphy = make_course(world.term, "书法", grades=[grade], sections=((25, ((2, 3),)),))
    for i, s in enumerate(students(world, world.homeroom, 130)):
        prefs = [basketball, robotics] if i < 120 else [robotics, basketball]
        make_application(world.term, s, prefs, status=Status.SUBMITTED)
    plan = capacity_plan(world.term)
    by_name = {c.course.name: c for c in plan.courses}
    b = by_name["篮球"]
    assert (b.first_choice, b.any_choice, b.sections, b.capacity, b.needed) == (120, 130, 3, 72, 5)
    assert b.suggestion == "篮球：第一志愿 120 人 → 开 5 个班，已计划 3 个，还差 2 个"
    r = by_name["机器人"]
    assert (r.first_choice, r.any_choice, r.needed) == (10, 130, 1)
    assert r.suggestion == "机器人：第一志愿 10 人 → 开 1 个班，已计划 0 个，还差 1 个"
    assert by_name["书法"].suggestion == "书法：第一志愿 0 人（任一志愿 0 人）→ 暂不需要开班"
    assert [c.course.name for c in plan.courses][:2] == ["篮球", "机器人"]
    assert calligraphy.pk in {c.course.pk for c in plan.courses}


def test_a_course_under_its_minimum_says_so(world):
    grade = world.homeroom.grade
    robotics = make_course(world.term, "机器人", grades=[grade], min_size=10)
    for s in students(world, world.homeroom, 4):
        make_application(world.term, s, [robotics], status=Status.SUBMITTED)
    (course,) = capacity_plan(world.term).courses
    assert "不足最少开班人数 10 人" in course.suggestion and "与计划一致" in course.suggestion


def test_the_page_for_the_office_and_the_window(client, login, world):
    grade = world.homeroom.grade
    basketball = make_course(world.term, "篮球", grades=[grade])
    for s in students(world, world.homeroom, 26):
        make_application(world.term, s, [basketball], weekdays=(1, 4), status=Status.SUBMITTED)
    login(world.coordinator)
    page = client.get("/dashboards/capacity/").content.decode()
    assert "意向书征集中" in page and "篮球：第一志愿 26 人 → 开 2 个班，已计划 1 个，还差 1 个" in page
    assert "周一：26 人 → 至少 2 名辅导教师" in page
    home = client.get("/").content.decode()
    assert "容量预估（意向书征集中）" in home
    world.term.application_closes_at = timezone.now() - dt.timedelta(hours=1)
    world.term.application_opens_at = timezone.now() - dt.timedelta(days=3)
    world.term.save()
    assert "已于" in client.get("/dashboards/capacity/").content.decode()
    assert "容量预估（意向书征集中）" not in client.get("/").content.decode()


def test_who_may_see_the_planner(client, login, world):
    for user in (world.tutor.user, world.guardian.user, world.homeroom_teacher.user):
        login(user)
        assert client.get("/dashboards/capacity/").status_code == 403
    login(world.principal)
    assert client.get("/dashboards/capacity/").status_code == 200
    foreign = f.TermFactory(school=world.other_school)
    assert client.get(f"/dashboards/capacity/?term={foreign.pk}").status_code == 404
    assert client.get("/dashboards/capacity/?term=abc").status_code == 404


@pytest.mark.parametrize("n", [10, 40])
def test_the_planner_takes_a_fixed_number_of_queries(client, login, world, n,
                                                     django_assert_max_num_queries):
    grade = world.homeroom.grade
    courses = [make_course(world.term, f"课程{i}", grades=[grade]) for i in range(4)]
    children = students(world, world.homeroom, n // 2) + students(world, world.other_homeroom,
                                                                   n - n // 2)
    for i, s in enumerate(children):
        make_application(world.term, s, courses[i % 4:] or courses, weekdays=(1 + i % 4,),
                         status=Status.SUBMITTED)
    login(world.coordinator)
    with django_assert_max_num_queries(16):
        assert client.get("/dashboards/capacity/").status_code == 200
