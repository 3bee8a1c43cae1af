"""The arrangement (统筹安排) on a phone, through the real pages only.

The fourth step of 家长申请 → 班级审核 → 学校复核 → 统筹安排: the office runs the exact
placement, reads the draft's figures, places by hand the one child the solver could not, and
publishes; a guardian reads which choice the child got and why; a tutor sees the roster.
Factories set up the term (courses, sections, school-approved forms); every action under
test is a tap on a real page, each person on their own phone, and the database is checked
after the pages.
"""

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from afterschool.models import Notice
from arrangement.models import Arrangement, ArrangementChange, Placement, UnplacedEntry
from enrollment.models import Application, Preference

from .. import factories
from ..courses.factories import CourseFactory, SectionFactory
from ..enrollment.factories import ApplicationFactory
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser

Status = Application.Status
MON, TUE, WED, THU = 1, 2, 3, 4
EXACT = "按志愿优化分配"
PLACE_COMMENT = "家长来电：周三可以参加书法"


@dataclass
class Scenario:
    world: object
    basketball: object   # the section of each course
    calligraphy: object
    robotics: object
    tuesday_only: object  # 陈小刚


@pytest.fixture
def scenario(world):
    """Grade 7 of the world's school, four approved forms, one outcome the rules force.

    Sections (period 2 is 17:30–18:10):
      篮球   1班  周二第2节  capacity 1  钱教练 (world.external)
      书法   1班  周三第2节  capacity 5  赵老师 (world.tutor)
      机器人 1班  周四第2节  capacity 2  刘老师

    Children (attending days; ranked choices):
      陈小刚 7-2              周二 only      篮球
      张小明 7-1 world.child  周一–周四      篮球 › 书法
      李华   7-1 other_child  周一–周三      机器人 › 篮球   (机器人 is on Thursday: no fit)
      张小红 7-2 sibling      周一–周四      机器人 › 书法

    By hand, FORMAT.md's rules:
      rule 1 — 篮球 has one seat and 陈小刚 and 李华 fit nowhere else, so at most one of them
        is placed, and only if 张小明 is not in 篮球: the most placed is 3 (张小红 in 机器人,
        张小明 in 书法, one of 陈小刚/李华 in 篮球); 张小明 in 篮球 would leave both out (2).
      rule 2 — 篮球 is 陈小刚's first choice but only 李华's second: (rank 1, rank 2) =
        (2, 1) with 陈小刚 against (1, 2) with 李华. So, whatever the seed:
        陈小刚 → 篮球 (1st), 张小明 → 书法 (2nd, because 篮球 is full), 张小红 → 机器人
        (1st), 李华 unplaced (机器人 not on her days, 篮球 full).
      Figures: 4 students, 3 placed (75%); 第1志愿 2 (50% of the students), 第2志愿 1 (25%), 第3志愿 0;
        篮球 1/1, 书法 1/5, 机器人 1/2; 1 unplaced.
    Then the office places 李华 in 书法 by hand (not one of her choices, so it must confirm):
      4 placed (100%), 书法 2/5, one placement outside the preferences.
    """
    term, grade = world.term, world.homeroom.grade
    # The guardian's timetable shows the service days of the week they look at: the term runs
    # around today, so that week has service.
    today = dt.date.today()
    term.start_date, term.end_date = today - dt.timedelta(days=60), today + dt.timedelta(days=60)
    term.save(update_fields=["start_date", "end_date"])
    liu = factories.StaffFactory(school=world.school, name="刘老师", subjects="科学")

    def course(name, category, capacity, slot, tutor, venue):
        c = CourseFactory(term=term, name=name, category=category, grades=[grade])
        return SectionFactory(course=c, name="1班", capacity=capacity, venue=venue,
                              slots=[slot], tutors=[tutor])

    basketball = course("篮球", "体育技能", 1, (TUE, 2), world.external, "篮球场")
    calligraphy = course("书法", "艺术素养", 5, (WED, 2), world.tutor, "美术室")
    robotics = course("机器人", "操作技巧", 2, (THU, 2), liu, "科学室")
    chen = factories.StudentFactory(school=world.school, homeroom=world.other_homeroom, name="陈小刚")

    def approved(student, days, *sections):
        app = ApplicationFactory(student=student, term=term, status=Status.SCHOOL_APPROVED,
                                 weekdays=list(days))
        for rank, section in enumerate(sections, start=1):
            Preference.objects.create(application=app, rank=rank, course=section.course)

    approved(chen, [TUE], basketball)
    approved(world.child, [MON, TUE, WED, THU], basketball, calligraphy)
    approved(world.other_child, [MON, TUE, WED], robotics, basketball)
    approved(world.sibling, [MON, TUE, WED, THU], robotics, calligraphy)
    return Scenario(world=world, basketball=basketball, calligraphy=calligraphy,
                    robotics=robotics, tuesday_only=chen)


def looks_right(page, name):
    """Every page a person sees fits a phone; keep a picture of it."""
    assert fits_the_screen(page), f"{name}: the page scrolls sideways"
    shot(page, f"arr-{name}")


def card(page, title):
    """A card on the page, by what its header says."""
    return page.locator(".card").filter(has=page.locator(".card-header", has_text=title))


def figure(page, label):
    """One of the run's four figures (参加学生, 已安排, 未安排, 计算用时)."""
    return page.locator(".card-body").filter(
        has=page.locator(".text-muted", has_text=re.compile(f"^{label}$")))


def rank_row(page, rank):
    return card(page, "志愿满足情况").get_by_role("listitem").filter(has_text=f"第{rank}志愿")


def section_row(page, slot):
    """A section's line in 各课程、教学班人数, by its slot (every section is called 1班)."""
    return card(page, "各课程、教学班人数").get_by_role("row").filter(has_text=slot)


def success(page, text):
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def open_menu(page, menu, entry):
    """The phone's collapsed menu: 展开菜单, a drop-down, then one of its entries."""
    nav = page.get_by_role("navigation")
    nav.get_by_role("button", name="展开菜单").tap()
    # Bootstrap slides the menu open; a tap while it is still moving can miss.
    expect(page.locator("#mainNav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    toggle = nav.get_by_role("button", name=menu, exact=True)
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name=entry, exact=True).tap()


def test_office_arranges_adjusts_and_publishes_guardian_and_tutor_see_it(
        browser, live_server, scenario):
    sc = scenario
    world = sc.world
    child, other_child, sibling = world.child, world.other_child, world.sibling
    chen = sc.tuesday_only

    # 1. 统筹安排: the office starts an exact run and reads the draft.
    with phone_of(browser, live_server, world.coordinator) as page:
        expect(card(page, "统筹安排")).to_contain_text("还没有统筹安排")
        open_menu(page, "统筹安排", "安排记录")
        expect(page.get_by_role("heading", name=re.compile("^统筹安排"))).to_be_visible()
        start = card(page, "发起新的统筹安排")
        expect(start).to_contain_text("将安排 4 名已通过学校复核的学生")
        expect(start.get_by_role("radio", name=f"{EXACT}（推荐）")).to_be_checked()
        looks_right(page, "01-office-list")
        start.get_by_role("button", name="开始计算").tap()

        # Celery runs inline in tests: the run is computed by the time the page loads.
        success(page, f"已发起第1版统筹安排（{EXACT}）。")
        expect(page.get_by_role("heading", name="第1版 草稿")).to_be_visible()
        run = Arrangement.objects.get(term=world.term)
        assert run.status == Arrangement.Status.DRAFT and run.is_editable, run.error
        expect(figure(page, "参加学生")).to_contain_text("4")
        expect(figure(page, "已安排")).to_contain_text(re.compile(r"3\s*75%"))
        expect(figure(page, "未安排")).to_contain_text("1")
        expect(figure(page, "计算用时").get_by_text("已证明最优")).to_be_visible()
        expect(card(page, "志愿满足情况")).to_contain_text(EXACT)
        expect(rank_row(page, 1)).to_contain_text("2 人 · 占学生 50%")
        expect(rank_row(page, 2)).to_contain_text("1 人 · 占学生 25%")
        expect(rank_row(page, 3)).to_contain_text("0 人 · 占学生 0%")
        expect(section_row(page, "周二第2节")).to_contain_text(re.compile(r"钱教练\s*1/1"))
        expect(section_row(page, "周三第2节")).to_contain_text(re.compile(r"赵老师\s*1/5"))
        expect(section_row(page, "周四第2节")).to_contain_text(re.compile(r"刘老师\s*1/2"))
        unplaced = card(page, "未安排的学生（1）").get_by_role("listitem")
        expect(unplaced).to_have_count(1)
        reason = UnplacedEntry.objects.get(arrangement=run, student=other_child).reason
        assert "已满" in reason and "上课日与孩子参加的日期不符" in reason, reason
        expect(unplaced).to_contain_text(other_child.name)
        expect(unplaced).to_contain_text(reason)
        expect(unplaced).to_contain_text("志愿：机器人 › 篮球")
        looks_right(page, "02-office-draft")

        # The exact placement of the docstring, in the database.
        placed = {p.student_id: (p.section_id, p.rank) for p in run.placements.all()}
        assert placed == {chen.pk: (sc.basketball.pk, 1), child.pk: (sc.calligraphy.pk, 2),
                          sibling.pk: (sc.robotics.pk, 1)}
        assert run.stats["optimal"] is True and run.stats["mechanism"] == "exact"

        # 2. Adjusting the draft: 李华 goes into 书法, which has room but is not her choice.
        page.get_by_role("link", name="调整").tap()
        expect(page.get_by_role("heading", name=re.compile("^调整安排"))).to_be_visible()
        expect(card(page, "调整记录")).to_contain_text("暂无调整。")
        page.get_by_role("searchbox", name="学生姓名或学籍号").fill(other_child.name)
        page.get_by_role("button", name="查找").tap()
        found = page.locator(".card").filter(has_text=f"未安排：{reason}")
        expect(found).to_contain_text(other_child.name)
        expect(found).to_contain_text("志愿：1. 机器人；2. 篮球")
        calligraphy_option = "书法 · 1班（周三第2节，1/5）"
        found.get_by_label("安排到教学班").select_option(label=calligraphy_option)
        found.get_by_label("原因").fill(PLACE_COMMENT)
        looks_right(page, "03-office-adjust-found")
        # Not one of her choices: the first try only warns, nothing changes.
        found.get_by_role("button", name="补录安排").tap()
        expect(page.get_by_role("alert").filter(has_text="书法不在该生的志愿中")).to_be_visible()
        assert not run.placements.filter(student=other_child).exists()
        assert not run.changes.exists()
        looks_right(page, "04-office-adjust-needs-confirmation")
        found = page.locator(".card").filter(has_text=f"未安排：{reason}")
        found.get_by_label("安排到教学班").select_option(label=calligraphy_option)
        found.get_by_role("checkbox", name=re.compile("^确认安排非志愿课程")).check()
        found.get_by_label("原因").fill(PLACE_COMMENT)
        found.get_by_role("button", name="补录安排").tap()
        success(page, f"已将{other_child.name}安排到书法 · 1班。")
        now = page.locator(".card").filter(has_text="现在：")
        expect(now).to_contain_text(other_child.name)
        expect(now).to_contain_text("现在：书法 · 1班（非志愿）")
        log = card(page, "调整记录").get_by_role("listitem")
        expect(log).to_have_count(1)
        expect(log).to_contain_text(f"补录 {other_child.name}")
        expect(log).to_contain_text(world.coordinator.name)
        expect(log).to_contain_text(re.compile(r"未安排\s*书法 · 1班"))
        expect(log).to_contain_text(f"说明：{PLACE_COMMENT}")
        looks_right(page, "05-office-adjusted")

        change = ArrangementChange.objects.get(arrangement=run)
        assert (change.kind, change.actor, change.student, change.section, change.from_text,
                change.to_text, change.comment) == (
            ArrangementChange.Kind.PLACE, world.coordinator, other_child, sc.calligraphy,
            "未安排", "书法 · 1班", PLACE_COMMENT)
        by_hand = Placement.objects.get(arrangement=run, student=other_child)
        assert (by_hand.section, by_hand.rank) == (sc.calligraphy, None)
        assert not run.unplaced.exists()

        # The draft's figures follow the change.
        page.get_by_role("link", name="第1版").tap()
        expect(figure(page, "已安排")).to_contain_text(re.compile(r"4\s*100%"))
        expect(figure(page, "未安排")).to_contain_text("0")
        expect(card(page, "志愿满足情况")).to_contain_text(re.compile(r"非志愿（人工调整）\s*1 人次"))
        expect(section_row(page, "周三第2节")).to_contain_text("2/5")
        expect(card(page, "未安排的学生（0）")).to_contain_text("所有学生都已安排。")
        expect(card(page, "调整记录")).to_contain_text(f"补录 {other_child.name}")
        looks_right(page, "06-office-draft-adjusted")

        # 3. Publishing, after the browser's own "are you sure".
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="发布").tap()
        # The message says what was really sent (in-app notices always; SMS where wanted).
        success(page, re.compile(r"第1版统筹安排已发布。已通知 \d+ 位家长（站内 \d+"))
        expect(page.get_by_role("heading", name="第1版 已发布")).to_be_visible()
        assert asked and "发布后家长和教师将看到本版安排" in asked[0]
        expect(page.get_by_role("button", name="发布", exact=True)).to_be_hidden()
        expect(page.get_by_role("link", name="调整")).to_be_hidden()
        looks_right(page, "07-office-published")

    run.refresh_from_db()
    assert run.status == Arrangement.Status.PUBLISHED
    assert run.published_by == world.coordinator and run.published_at is not None
    statuses = dict(Application.objects.filter(term=world.term)
                    .values_list("student_id", "status"))
    assert statuses == {chen.pk: Status.PLACED, child.pk: Status.PLACED,
                        other_child.pk: Status.PLACED, sibling.pk: Status.PLACED}
    explained = "第一志愿篮球已满，已安排第二志愿书法"
    assert Placement.objects.get(arrangement=run, student=child).note == explained

    # 4. The guardian: the notice, the home panel, the week and the reason.
    with phone_of(browser, live_server, world.guardian.user) as page:
        notices = card(page, "通知")
        expect(notices.get_by_role("link", name=f"{child.name}的课后服务安排已发布")).to_be_visible()
        expect(notices.get_by_text(f"{explained}。（分配方式：{EXACT}）")).to_be_visible()
        expect(notices.get_by_role("link", name=f"{sibling.name}的课后服务安排已发布")).to_be_visible()
        panel = card(page, "课后服务安排已发布")
        expect(panel.get_by_role("listitem").filter(has_text=child.name)).to_have_text(
            f"{child.name}：书法（1班，周三第2节）")
        expect(panel.get_by_role("listitem").filter(has_text=sibling.name)).to_have_text(
            f"{sibling.name}：机器人（1班，周四第2节）")
        looks_right(page, "08-guardian-home")
        panel.get_by_role("link", name="查看课表和安排说明").tap()
        expect(page.get_by_role("heading", name=re.compile("^课后服务课表"))).to_be_visible()
        mine = card(page, child.name)
        expect(mine).to_contain_text(explained)
        expect(mine).to_contain_text(f"分配方式：{EXACT}")
        wednesday = mine.get_by_role("region", name=re.compile(r"^周三 "))
        expect(wednesday).to_contain_text("17:30–18:10")
        expect(wednesday).to_contain_text("书法（1班）")
        expect(wednesday).to_contain_text("美术室 · 教师：赵老师")
        expect(mine).not_to_contain_text("篮球（1班）")
        expect(card(page, sibling.name)).to_contain_text("已安排第一志愿机器人")
        looks_right(page, "09-guardian-schedule")

    # The other family was told of the office's hand placement, in words they can read.
    assert list(Notice.objects.filter(user=world.other_guardian.user)
                .values_list("title", "body")) == [
        (f"{other_child.name}的课后服务安排已发布",
         f"经课后服务办公室调整，安排书法。（分配方式：{EXACT}）")]

    # 5. The tutor: their section's roster with both children.
    with phone_of(browser, live_server, world.tutor.user) as page:
        panel = card(page, "我的教学班")
        row = panel.get_by_role("listitem").filter(has_text="书法 · 1班")
        expect(row.get_by_role("link", name="2 人")).to_be_visible()
        looks_right(page, "10-tutor-home")
        panel.get_by_role("link", name="名单", exact=True).tap()
        expect(page.get_by_role("heading", name=re.compile("^我的教学班"))).to_be_visible()
        section = card(page, "书法 · 1班")
        expect(section).to_contain_text("周三第2节 · 美术室 · 2/5 人")
        expect(section.get_by_role("listitem")).to_have_text([
            re.compile(f"^{child.name}"), re.compile(f"^{other_child.name}")])
        looks_right(page, "11-tutor-sections")
        section.get_by_role("link", name="名单").tap()
        expect(page.get_by_role("heading", name="书法 · 1班 学生名单")).to_be_visible()
        rows = page.get_by_role("table").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text=child.name)).to_contain_text("第2志愿")
        expect(rows.filter(has_text=other_child.name)).to_contain_text("非志愿")
        expect(page.get_by_text("辅导教师：赵老师 · 2/5 人")).to_be_visible()
        looks_right(page, "12-tutor-roster")
