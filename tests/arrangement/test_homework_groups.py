"""Homework groups of a run: the same classmates and room all week, tutors only from teachers."""

from collections import defaultdict

import pytest

from afterschool.access import actor_for
from afterschool.models import Role, Staff
from arrangement import services
from arrangement.models import HomeworkGroup
from courses import exceptions as catalog_errors
from courses import services as catalog
from tests import factories
from tests.courses.factories import period

from .factories import make_application, make_course, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


def _grade_seven(world):
    """七年级1班 10 children every day, 2班 20 on Monday, 3班 14 on Tue/Wed, 4班 8 Tue–Thu.

    Grouped day by day, 1班 would share with 3班 and 4班 on some days and sit alone on others;
    for the week, 2班, 3班 and 4班 fit together on every day and 1班 stays alone.
    """
    grade = world.homeroom.grade
    third = factories.HomeroomFactory(school=world.school, grade=grade, number=3)
    fourth = factories.HomeroomFactory(school=world.school, grade=grade, number=4)
    club = make_course(world.term, "书法", grades=[grade], sections=((100, ((3, 2),)),),
                       tutors=[world.tutor])
    plan = [(world.homeroom, 10, (1, 2, 3, 4)), (world.other_homeroom, 20, (1,)),
            (third, 14, (2, 3)), (fourth, 8, (2, 3, 4))]
    days_of = {}
    for homeroom, count, days in plan:
        existing = list(homeroom.students.all())
        kids = existing + [factories.StudentFactory(school=world.school, homeroom=homeroom)
                           for _ in range(count - len(existing))]
        for kid in kids:
            make_application(world.term, kid, [club], weekdays=days)
            days_of[kid.pk] = set(days)
    return days_of, third, fourth


def test_a_child_meets_the_same_classmates_in_the_same_room_every_day(
        world, office, django_capture_on_commit_callbacks):
    days_of, third, fourth = _grade_seven(world)
    run = run_now(world.term, office, django_capture_on_commit_callbacks)
    groups = list(HomeworkGroup.objects.filter(arrangement=run)
                  .prefetch_related("members", "homerooms"))
    members = {g.pk: {m.student_id for m in g.members.all()} for g in groups}
    seen = defaultdict(set)   # child -> {(name, room)}
    group_on = {}             # (child, weekday) -> members that day
    for g in groups:
        assert len(members[g.pk]) <= 25
        for s in members[g.pk]:
            seen[s].add((g.name, g.room))
            group_on[s, g.weekday] = members[g.pk]
    assert set(seen) == set(days_of)
    # One group name and one room for each child all week.
    assert all(len(v) == 1 for v in seen.values())
    assert {next(iter(v)) for v in seen.values()} == {
        ("七年级1班", "七年级1班教室"), ("七年级2、3、4班", "七年级2班教室")}
    # The same classmates every day: whoever comes on both days is together on both.
    for child, days in days_of.items():
        for d1 in days:
            for d2 in days:
                assert ({s for s in group_on[child, d1] if d2 in days_of[s]}
                        == {s for s in group_on[child, d2] if d1 in days_of[s]})
    # A homeroom is linked to a day's group only when its children come that day.
    thursday = next(g for g in groups if g.weekday == 4 and g.name == "七年级2、3、4班")
    assert {h.pk for h in thursday.homerooms.all()} == {fourth.pk}
    assert run.stats["homework"]["week_groups"] == 2
    assert run.stats["homework"]["without_room"] == 0


def test_only_free_teachers_tutor_never_the_principal_or_the_office(
        world, office, django_capture_on_commit_callbacks):
    days_of, third, fourth = _grade_seven(world)
    principal = Staff.objects.get(user=world.principal)
    office_only = Staff.objects.get(user=world.coordinator)
    # A coordinator who leads a homeroom teaches: they may tutor.
    teaching_coordinator = third.head_teacher
    factories.grant(teaching_coordinator.user, Role.COORDINATOR, world.school)
    # Nobody else can serve, so the principal and the office would be the only ones left.
    Staff.objects.filter(school=world.school).exclude(
        pk__in=[principal.pk, office_only.pk, teaching_coordinator.pk,
                world.homeroom_teacher.pk]).update(available_weekdays=[5])
    # 1班's 班主任 teaches a section at the homework period on Monday.
    make_course(world.term, "朗诵", grades=[world.homeroom.grade],
                sections=((25, ((1, 1),)),), tutors=[world.homeroom_teacher], venue="礼堂")
    run = run_now(world.term, office, django_capture_on_commit_callbacks)
    groups = list(run.homework_groups.order_by("weekday", "name"))
    tutors = {g.tutor_id for g in groups}
    assert principal.pk not in tutors and office_only.pk not in tutors
    monday = [g for g in groups if g.weekday == 1]
    assert world.homeroom_teacher.pk not in {g.tutor_id for g in monday}
    # Tuesday to Thursday the 班主任 is free again and takes their own homeroom's group.
    assert [g.tutor for g in groups if g.weekday > 1 and g.name == "七年级1班"] == [
        world.homeroom_teacher] * 3
    assert teaching_coordinator.pk in tutors
    # Two groups on Monday, one teacher free: the other says why.
    unstaffed = [g for g in monday if g.tutor is None]
    assert len(unstaffed) == 1 and unstaffed[0].unstaffed_reason.startswith("无可用的")
    # Every tutor is in one group at a time.
    per_slot = defaultdict(list)
    for g in groups:
        if g.tutor_id:
            per_slot[g.weekday, g.tutor_id].append(g)
    assert all(len(v) == 1 for v in per_slot.values())


def test_the_catalog_refuses_a_section_at_a_homework_groups_time_tutor_and_room(
        world, office, django_capture_on_commit_callbacks):
    _grade_seven(world)
    run = run_now(world.term, office, django_capture_on_commit_callbacks)
    group = run.homework_groups.get(weekday=2, name="七年级1班")
    assert group.tutor is not None
    course = make_course(world.term, "剪纸", grades=[world.homeroom.grade], sections=())
    first = period(world.term, 1)
    with pytest.raises(catalog_errors.ScheduleClash) as caught:
        catalog.section_create(actor=office, course=course, name="1班", slots=[(2, first)],
                               tutors=[group.tutor])
    assert caught.value.message == catalog_errors.TUTOR_BUSY_OUTSIDE.format(
        tutor=group.tutor.name, slot="周二第1节", what="作业辅导「七年级1班」（第1版草稿）")
    with pytest.raises(catalog_errors.ScheduleClash) as caught:
        catalog.section_create(actor=office, course=course, name="1班", slots=[(2, first)],
                               venue="七年级1班教室")
    assert "七年级1班教室在周二第1节已安排给作业辅导「七年级1班」" in caught.value.message
    # Another period, or a day the group does not meet, is free.
    catalog.section_create(actor=office, course=course, name="1班",
                           slots=[(2, period(world.term, 2))], tutors=[group.tutor],
                           venue="七年级1班教室")
    # Published, the run holds them as it did as a draft.
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    with pytest.raises(catalog_errors.ScheduleClash) as caught:
        catalog.section_create(actor=office, course=course, name="3班", slots=[(2, first)],
                               tutors=[group.tutor])
    assert caught.value.message.endswith("（第1版），同一时间不能再带其他教学班。")


def test_the_catalogs_homework_entry_shows_its_real_groups(
        world, login, office, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from courses.models import Course
    from tests.courses.factories import CourseFactory

    _grade_seven(world)
    grade = world.homeroom.grade
    CourseFactory(term=world.term, name="作业辅导", category="作业辅导", is_fixed=True,
                  mode=Course.Mode.HOMEROOM, grades=[grade])
    office_page = login(world.coordinator)
    listing = reverse("courses:catalog_list") + f"?term={world.term.pk}"
    browse = reverse("courses:catalog_browse") + f"?grade={grade.pk}"
    before = office_page.get(listing).content.decode()
    assert "统筹安排时按班级分成作业辅导组" in before
    # The only course without sections is 作业辅导, and it does not ask for any.
    assert "还没有教学班" not in before and "名额 <strong>0</strong>" not in before

    run = run_now(world.term, office, django_capture_on_commit_callbacks)
    page = office_page.get(listing).content.decode()
    assert "作业辅导组 <strong>2</strong> 个" in page and "学生 <strong>52</strong> 人" in page
    assert "周一、周二、周三、周四" in page and "第1节 16:40–17:20" in page
    assert "七年级1班教室、七年级2班教室" in page and "据第1版草稿" in page
    # Families see nothing of a draft.
    guardian = login(world.guardian.user).get(
        reverse("courses:catalog_browse") + f"?student={world.child.pk}").content.decode()
    assert "统筹安排时按班级分成作业辅导组" in guardian and "上课时间待定" not in guardian
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    guardian = login(world.guardian.user).get(
        reverse("courses:catalog_browse") + f"?student={world.child.pk}").content.decode()
    assert "2 个作业辅导组，共 52 名学生" in guardian and "第1节 16:40–17:20" in guardian
    assert "据第1版" not in guardian
    assert "上课时间待定" not in login(world.coordinator).get(browse).content.decode()
