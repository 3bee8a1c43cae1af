"""A school's first weeks on phones (issue 10, "done when"), through the real pages.

A child approved after the arrangement was published is placed into it while a child the office
moved by hand stays where it put them; the family reads the child's whole week (homework group
with its room and tutor, Monday's 阅读写字, the club, the end and where to fetch the child); the
tutor's roster carries the safety details; a 403 and a 404 page lead back; a roster naming a
homeroom the school lacks is previewed and imported only after the office confirms. Each
person uses their own phone (390×844); the database is checked after the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from afterschool.access import actor_for
from afterschool.models import Homeroom, ImportJob, Student
from arrangement import services
from arrangement.models import Arrangement, Placement
from courses.models import Course
from enrollment.models import Application, PickupPerson, Preference

from .. import factories
from ..afterschool.test_roster import student as roster_row
from ..afterschool.test_roster import table, write_xlsx
from ..attendance.leave_builders import term_around_today
from ..courses.factories import CourseFactory, SectionFactory
from ..enrollment.factories import ApplicationFactory
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser

MON, TUE, WED, THU = 1, 2, 3, 4
MOVED_BECAUSE = "家长来电：周三方便接送"


@dataclass
class School:
    world: object
    basketball: object
    calligraphy: object
    published: Arrangement
    late: Student


def looks_right(page, name):
    assert fits_the_screen(page), f"{name}: the page scrolls sideways"
    shot(page, f"weeks-{name}")


def card(page, title):
    return page.locator(".card").filter(has=page.locator(".card-header", has_text=title))


@pytest.fixture
def school(world):
    """Grade 7 with 篮球 (Tue, 2 seats) and 书法 (Wed, 3 seats), 周一阅读写字 in each homeroom.

    The exact run puts 张小明 and 李华 in 篮球 (both ranked it first) and 张小红 in 书法; at
    the parent's request the office moves 张小明 to 书法 by hand, then publishes: 篮球 has one
    seat free. 陈小刚 is approved after that, 篮球 first.
    """
    term = term_around_today(world.term)
    grade = world.homeroom.grade

    def club(name, category, capacity, slot, tutor, venue):
        course = CourseFactory(term=term, name=name, category=category, grades=[grade])
        return SectionFactory(course=course, name="1班", capacity=capacity, venue=venue,
                              slots=[slot], tutors=[tutor])

    basketball = club("篮球", "体育技能", 2, (TUE, 2), world.external, "篮球场")
    calligraphy = club("书法", "艺术素养", 3, (WED, 2), world.tutor, "美术室")
    reading = CourseFactory(term=term, name="阅读写字", category="阅读写字", is_fixed=True,
                            mode=Course.Mode.HOMEROOM, grades=[grade])
    for homeroom in (world.homeroom, world.other_homeroom):
        SectionFactory(course=reading, name=homeroom.name, homeroom=homeroom,
                       venue=f"{homeroom.name}教室", slots=[(MON, 2)],
                       tutors=[homeroom.head_teacher])

    def approved(student, *sections, **details):
        app = ApplicationFactory(student=student, term=term, weekdays=[MON, TUE, WED, THU],
                                 status=Application.Status.SCHOOL_APPROVED, **details)
        for rank, section in enumerate(sections, start=1):
            Preference.objects.create(application=app, rank=rank, course=section.course)
        return app

    mine = approved(world.child, basketball, calligraphy, allergies="花生",
                    health_notes="哮喘，随身带喷雾", contact_phone="13800000011")
    PickupPerson.objects.create(application=mine, name="张建国", relation="爷爷",
                                phone="13900000001")
    approved(world.other_child, basketball, calligraphy,
             dismissal=Application.Dismissal.ALONE, alone_consent=True)
    approved(world.sibling, calligraphy, dismissal=Application.Dismissal.BUS, bus_route="2号线")

    office = actor_for(world.coordinator, world.school)
    run = services.arrangement_start(term=term, actor=office)
    run.refresh_from_db()
    assert run.is_editable, run.error
    placed = {p.student_id: p.section_id for p in run.placements.all()}
    assert placed == {world.child.pk: basketball.pk, world.other_child.pk: basketball.pk,
                      world.sibling.pk: calligraphy.pk}
    services.placement_move(arrangement=run, actor=office, section=calligraphy,
                            placement=run.placements.get(student=world.child),
                            comment=MOVED_BECAUSE)
    services.arrangement_publish(arrangement=run, actor=office)

    late = factories.StudentFactory(school=world.school, homeroom=world.other_homeroom,
                                    name="陈小刚")
    approved(late, basketball, calligraphy)
    return School(world=world, basketball=basketball, calligraphy=calligraphy,
                  published=run, late=late)


def test_a_late_child_is_placed_and_the_hand_move_stays(browser, live_server, school):
    world = school.world
    v1 = school.published
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto(reverse("arrangement:detail", args=[v1.pk]))
        expect(page.get_by_role("heading", name="第1版 已发布")).to_be_visible()
        follow = card(page, "在本版基础上安排")
        expect(follow).to_contain_text("现有 1 名学生尚未安排")
        expect(follow).to_contain_text("本版中人工调整过的 1 名学生保持不变")
        looks_right(page, "01-office-published")
        follow.get_by_role("button", name="生成新版本：安排 1 名新增学生").tap()

        expect(page.get_by_role("heading", name="第2版 草稿")).to_be_visible()
        expect(page.get_by_text("本版在第1版基础上只安排新增学生")).to_be_visible()
        expect(page.get_by_role("row").filter(has_text="周二第2节")).to_contain_text("2/2")
        expect(page.get_by_role("row").filter(has_text="周三第2节")).to_contain_text("2/3")
        looks_right(page, "02-office-newcomers-draft")

        page.get_by_role("link", name="查看与第1版的变化").tap()
        moved = card(page, "安排有变化的学生（1）")
        expect(moved).to_contain_text(school.late.name)
        expect(moved).to_contain_text(re.compile("第1版：不在该版 →.*第2版：篮球 · 1班"))
        expect(moved).not_to_contain_text(world.child.name)
        looks_right(page, "03-office-compare")
        page.go_back()

        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="发布").tap()
        expect(page.get_by_role("heading", name="第2版 已发布")).to_be_visible()
        looks_right(page, "04-office-newcomers-published")

    v2 = Arrangement.objects.get(term=world.term, version=2)
    assert (v2.status, v2.scope, v2.base_id) == (Arrangement.Status.PUBLISHED,
                                                 Arrangement.Scope.NEWCOMERS, v1.pk)
    now = {p.student_id: p for p in Placement.objects.filter(arrangement=v2)}
    # The office's hand move holds; nobody published before moved; the newcomer took the seat.
    assert now[world.child.pk].section == school.calligraphy and now[world.child.pk].by_hand
    assert now[world.other_child.pk].section == school.basketball
    assert now[world.sibling.pk].section == school.calligraphy
    assert now[school.late.pk].section == school.basketball and now[school.late.pk].rank == 1
    assert Application.objects.get(student=school.late).status == Application.Status.PLACED


def test_the_familys_week_and_the_tutors_roster(browser, live_server, school):
    world = school.world
    child = world.child
    with phone_of(browser, live_server, world.guardian.user) as page:
        page.goto(reverse("arrangement:my_schedule"))
        mine = card(page, child.name)
        monday = mine.get_by_role("region", name=re.compile(r"^周一 "))
        expect(monday).to_contain_text("16:40–17:20")
        expect(monday).to_contain_text("作业辅导（七年级1、2班）")
        expect(monday).to_contain_text("七年级1班教室 · 教师：")
        expect(monday).to_contain_text("阅读写字（七年级1班）")
        expect(monday).to_contain_text("18:10 放学，请到七年级1班教室接孩子")
        wednesday = mine.get_by_role("region", name=re.compile(r"^周三 "))
        expect(wednesday).to_contain_text("书法（1班）")
        expect(wednesday).to_contain_text("美术室 · 教师：赵老师")
        expect(wednesday).to_contain_text("18:10 放学，请到美术室接孩子")
        expect(mine).not_to_contain_text("篮球（1班）")
        expect(card(page, world.sibling.name)).to_contain_text("乘坐校车（2号线）")
        looks_right(page, "05-guardian-week")

    with phone_of(browser, live_server, world.tutor.user) as page:
        page.goto(reverse("arrangement:section_roster",
                          args=[school.published.pk, school.calligraphy.pk]))
        expect(page.get_by_role("heading", name="书法 · 1班 学生名单")).to_be_visible()
        rows = page.get_by_role("table").locator("tbody tr")
        expect(rows).to_have_count(2)
        his = rows.filter(has_text=child.name)
        expect(his).to_contain_text("家长接送")
        expect(his).to_contain_text("张建国（爷爷）13900000001")
        expect(his).to_contain_text("13800000011")
        expect(his).to_contain_text("过敏：花生")
        expect(his).to_contain_text("哮喘，随身带喷雾")
        expect(rows.filter(has_text=world.sibling.name)).to_contain_text("校车（2号线）")
        expect(page.get_by_text("仅供本班辅导教师和课后服务办公室使用")).to_be_visible()
        looks_right(page, "06-tutor-roster")
        # The wide table scrolls inside its own box: its right-hand columns.
        page.locator(".table-responsive").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        looks_right(page, "06-tutor-roster-right")
    # Another family never sees it.
    with phone_of(browser, live_server, world.other_guardian.user) as page:
        response = page.goto(reverse("arrangement:section_roster",
                                     args=[school.published.pk, school.calligraphy.pk]))
        assert response.status == 403
        expect(page.get_by_role("heading", name="没有权限")).to_be_visible()


def test_403_and_404_pages_lead_back(browser, live_server, world):
    with phone_of(browser, live_server, world.guardian.user) as page:
        response = page.goto(reverse("arrangement:list"))
        assert response.status == 403
        expect(page.get_by_role("heading", name="没有权限")).to_be_visible()
        expect(page.get_by_text("您没有权限访问此页面。")).to_be_visible()
        looks_right(page, "07-403")
        response = page.goto(reverse("enrollment:detail", args=[999999]))
        assert response.status == 404
        expect(page.locator("main")).to_contain_text("找不到")
        looks_right(page, "08-404")
        page.get_by_role("link", name="返回首页").tap()
        expect(page.get_by_role("heading", name=f"您好，{world.guardian.user.name}")).to_be_visible()


def test_a_new_homeroom_is_previewed_before_it_is_created(browser, live_server, world,
                                                         settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    path = write_xlsx(tmp_path / "七年级名册.xlsx", table([
        roster_row("2024070101", "张三", "7-1"),
        roster_row("2024072301", "李四", "七年级23班", phone="13800000002")]))
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto(reverse("school:roster_upload"))
        page.get_by_label("Excel 文件").set_input_files(str(path))
        page.get_by_role("button", name="上传并校验").tap()
        expect(page.get_by_text("将新增班级：七年级23班（1 名学生）")).to_be_visible()
        looks_right(page, "09-import-preview")
        assert not Homeroom.objects.filter(school=world.school, number=23).exists()
        assert not Student.objects.filter(name__in=["张三", "李四"]).exists()
        page.get_by_role("button", name="确认新增并导入").tap()
        expect(page.get_by_text(re.compile("导入完成|已导入")).first).to_be_visible()
        looks_right(page, "10-import-done")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.summary["homerooms_created"] == 1
    assert Student.objects.get(name="李四").homeroom.number == 23
