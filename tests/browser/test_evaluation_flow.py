"""Workload, assessment and the monthly 公示 on a phone, through the real pages (issue 13,
"done when").

赵老师 confirms October's statement and disputes a line of November's; the office resolves
the dispute with a correction; the principal confirms November's commendation list; the office
builds November's 公示 and follows its progress; the page shows the list, and its .xlsx has
one sheet per table. Each person on their own phone (390×844); the database is checked after
the pages.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evaluation.models import Assessment, AssessmentScheme, Publication, Statement
from evaluation.services import assessment_compute, statements_issue

from .. import factories as f
from ..courses.factories import CourseFactory, SectionFactory
from ..evaluation.builders import at, make_lesson, office, take
from .conftest import PHONE, fits_the_screen, shot, sign_in

pytestmark = pytest.mark.browser
D = dt.date


@contextmanager
def phone(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, user.phone, f.DEFAULT_PASSWORD)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture
def months(world):
    """赵老师's 作业辅导 every Monday of October and November 2024, taken on time; 钱教练's
    篮球 on Tuesdays. Both months' statements issued; November assessed."""
    kids = [world.child, world.other_child]
    basketball = SectionFactory(course=CourseFactory(term=world.term, name="篮球"), name="篮球1班")
    world.school.subsidy_per_period = Decimal("30")
    world.school.save()
    for day in [D(2024, 10, 14), D(2024, 10, 21), D(2024, 11, 4), D(2024, 11, 11),
                D(2024, 11, 18), D(2024, 11, 25)]:
        lesson = make_lesson(world.term, day, kids, tutors=[world.tutor],
                             title="作业辅导（七年级1班）")
        take(lesson, {k: "present" for k in kids}, by=world.tutor, when=at(day, 16, 42))
        club = make_lesson(world.term, day + dt.timedelta(days=1), kids, tutors=[world.external],
                           title="篮球", kind="course", section_id=basketball.pk)
        take(club, {k: "present" for k in kids}, by=world.external,
             when=at(club.date, 16, 58))  # 18 minutes in: not on time
    for month in (D(2024, 10, 1), D(2024, 11, 1)):
        statements_issue(actor=office(world), school=world.school, month=month)
    AssessmentScheme.objects.create(school=world.school, min_lessons=2,
                                    commend_min_score=Decimal("90"),
                                    follow_up_below_score=Decimal("70"))
    return assessment_compute(actor=office(world), school=world.school, period="month",
                              month=D(2024, 11, 1))


def test_statements_dispute_assessment_and_the_publication(browser, live_server, world, months,
                                                           tmp_path):
    october = Statement.objects.get(staff=world.tutor, month=D(2024, 10, 1))
    november = Statement.objects.get(staff=world.tutor, month=D(2024, 11, 1))

    # 1. 赵老师 confirms October and disputes a line of November.
    with phone(browser, live_server, world.tutor.user) as page:
        page.goto("/")
        page.get_by_role("link", name="课时月报待确认 2").click()
        expect(page.get_by_role("heading", name="我的课时与考核")).to_be_visible()
        shot(page, "evaluation-01-teacher-statements")
        page.locator(f"#statement-{october.pk}").click()
        expect(page.get_by_text("2 课时", exact=True)).to_be_visible()
        shot(page, "evaluation-02-teacher-october")
        page.get_by_role("button", name="确认无误").click()
        expect(page.get_by_text("已确认2024年10月月报，合计 2 课时，补助 60.00 元。")).to_be_visible()
        expect(page.locator(".badge", has_text="已定稿")).to_be_visible()
        assert fits_the_screen(page)

        page.goto(f"/evaluation/statements/{november.pk}/")
        line = november.lines.get(date=D(2024, 11, 25))
        item = page.locator(f"#line-{line.pk}")
        item.get_by_text("有异议").click()
        item.get_by_label("异议原因").fill("这天的作业辅导连上了两节，应记 2 课时")
        shot(page, "evaluation-03-teacher-dispute")
        item.get_by_role("button", name="提交异议").click()
        expect(page.get_by_text("异议已提交，课后服务办公室处理后会通知您。")).to_be_visible()
        expect(page.locator(f"#line-{line.pk}")).to_contain_text("异议待处理")
        assert fits_the_screen(page)
    october.refresh_from_db()
    november.refresh_from_db()
    assert (october.status, november.status) == ("final", "disputed")

    # 2. The office resolves it: accepted, 2 课时; the statement is final.
    with phone(browser, live_server, world.coordinator) as page:
        page.goto("/")
        page.get_by_role("link", name="月报异议待处理 1").click()
        expect(page.get_by_role("heading", name="2024年11月课时补助月报")).to_be_visible()
        shot(page, "evaluation-04-office-month")
        page.locator(f"#statement-{november.pk}").click()
        item = page.locator(f"#line-{line.pk}")
        expect(item).to_contain_text("这天的作业辅导连上了两节")
        item.get_by_label("采纳并更正").check()
        item.get_by_label("更正后课时（采纳时填写）").fill("2")
        item.get_by_label("处理意见（教师可见）").fill("核对课表，当天为连堂，按 2 课时计")
        shot(page, "evaluation-05-office-resolve")
        item.get_by_role("button", name="提交处理").click()
        expect(page.get_by_text(f"异议已处理，{world.tutor.name}的月报已定稿：合计 5 课时，"
                                "补助 150.00 元。")).to_be_visible()
        assert fits_the_screen(page)
    november.refresh_from_db()
    assert (november.status, november.total, november.subsidy) == (
        "final", Decimal("5.00"), Decimal("150.00"))

    # 3. The principal confirms November's commendation list.
    assessment = months
    proposed = {x.staff_id: x.proposed for x in assessment.entries.all()}
    assert proposed == {world.tutor.pk: "commend", world.external.pk: "follow_up"}
    with phone(browser, live_server, world.principal) as page:
        page.goto("/")
        page.get_by_role("link", name="考核名单待确认 1").click()
        page.get_by_role("link", name="2024年11月").click()
        entry = page.locator(f"#entry-{assessment.entries.get(staff=world.tutor).pk}")
        expect(entry.get_by_label("表彰")).to_be_checked()
        entry.get_by_text("得分构成").click()
        expect(entry).to_contain_text("尚无家长满意度调查")
        shot(page, "evaluation-06-principal-lists")
        page.get_by_role("button", name="确认表彰和通报名单").click()
        expect(page.get_by_text("已确认2024年11月的表彰名单（1 人）和通报名单（1 人）。")) \
            .to_be_visible()
        shot(page, "evaluation-07-principal-confirmed")
        assert fits_the_screen(page)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.CONFIRMED

    # 4. The office builds November's 公示 and follows it to the page; the .xlsx.
    with phone(browser, live_server, world.coordinator) as page:
        page.goto("/evaluation/publications/")
        page.get_by_label("月份").fill("2024-11")
        page.get_by_role("button", name="生成公示").click()
        expect(page.get_by_text("已生成2024年11月公示第 1 版")).to_be_visible()
        shot(page, "evaluation-08-build-done")
        page.get_by_role("link", name="查看公示").click()
        expect(page.get_by_role("heading", name="莒县第四实验小学 2024年11月课后服务情况公示")) \
            .to_be_visible()
        expect(page.locator("section", has_text="表彰与通报")).to_contain_text(world.tutor.name)
        shot(page, "evaluation-09-publication")
        assert fits_the_screen(page)
        with page.expect_download() as info:
            page.get_by_role("link", name="下载 .xlsx").click()
        path = tmp_path / "公示.xlsx"
        info.value.save_as(path)
        page.emulate_media(media="print")
        shot(page, "evaluation-10-publication-print")
    book = load_workbook(path)
    assert book.sheetnames == ["教师", "班级", "课程", "巡查", "表彰与通报"]
    teachers = {r[0]: r for r in book["教师"].iter_rows(min_row=2, values_only=True)}
    assert teachers[world.tutor.name][1:4] == (4, 4, 4)
    assert list(book["表彰与通报"].iter_rows(min_row=2, values_only=True))[0][:2] == (
        "表彰", world.tutor.name)
    homerooms = list(book["班级"].iter_rows(min_row=2, values_only=True))
    assert homerooms[0][:3] == ("七年级1班", 2, 16)
    assert Publication.objects.get().version == 1

    # 5. Every member of staff reads the notice board.
    with phone(browser, live_server, world.external.user) as page:
        page.goto("/evaluation/publications/2024-11/")
        expect(page.get_by_text("第 1 版")).to_be_visible()
        assert fits_the_screen(page)
