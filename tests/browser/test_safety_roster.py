"""The duty roster on a phone: a teacher declares days away, asks a swap, the colleague
accepts, the office approves; the week prints on A4. Through the real pages only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safety.models import DutyAssignment, DutyKind, DutyRoster, DutySwap, DutyUnavailability
from safety.services import service_days

from ..safety.builders import term_around_today
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser


def test_days_away_a_swap_and_the_printed_week(browser, live_server, world, tmp_path):
    term = term_around_today(world.term)
    today = timezone.localdate()
    ahead = service_days(term, since=today + dt.timedelta(days=1))
    roster = DutyRoster.objects.create(term=term, teachers_per_day=1, leaders_per_day=1,
                                       from_date=today)
    principal = world.school.staff.get(user=world.principal)
    for i, day in enumerate(ahead[:8]):
        DutyAssignment.objects.create(roster=roster, date=day, kind=DutyKind.TEACHER,
                                      staff=(world.tutor, world.duty_teacher,
                                             world.homeroom_teacher)[i % 3])
        DutyAssignment.objects.create(roster=roster, date=day, kind=DutyKind.LEADER,
                                      staff=principal)
    mine = DutyAssignment.objects.filter(staff=world.tutor).order_by("date").first()
    theirs = DutyAssignment.objects.filter(staff=world.duty_teacher).order_by("date").first()
    away = [d for d in ahead[8:11]]

    # 1. The tutor declares three days away and asks to swap a duty.
    with phone_of(browser, live_server, world.tutor.user) as page:
        page.goto("/safety/")
        expect(page.locator(f"#duty-{mine.pk}")).to_be_visible()
        shot(page, "safety-roster-01-my-duties")
        page.get_by_role("link", name="登记不能值日的日期").click()
        for day in away:
            page.locator(f"label[for=d-{day.isoformat()}]").click()
        page.get_by_label("原因（可不填）").fill("外出培训")
        shot(page, "safety-roster-02-days-away")
        assert fits_the_screen(page)
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("已保存：新增 3 天")).to_be_visible()
        page.goto("/safety/")
        page.locator(f"#duty-{mine.pk}").get_by_role("link", name="申请调班").click()
        page.get_by_text(world.duty_teacher.name).first.click()
        page.get_by_label("原因（可不填）").fill("当天监考")
        shot(page, "safety-roster-03-ask-swap")
        assert fits_the_screen(page)
        page.get_by_role("button", name="发出调班申请").click()
        expect(page.get_by_text("等待对方同意")).to_be_visible()
    assert set(DutyUnavailability.objects.filter(staff=world.tutor).values_list(
        "date", flat=True)) == set(away)
    swap = DutySwap.objects.get()
    assert (swap.mine, swap.theirs) == (mine, theirs)

    # 2. The colleague accepts from the home page.
    with phone_of(browser, live_server, world.duty_teacher.user) as page:
        page.get_by_role("link", name="调班申请 1").click()
        card = page.locator(f"#swap-{swap.pk}")
        expect(card).to_contain_text("当天监考")
        shot(page, "safety-roster-04-answer")
        card.get_by_role("button", name="同意调换").click()
        expect(page.get_by_text("待办公室审批").first).to_be_visible()
        assert fits_the_screen(page)

    # 3. The office approves; the roster shows the exchange, and the week prints on A4.
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto("/safety/swaps/")
        page.locator(f"#swap-{swap.pk}").get_by_role("button", name="批准调班").click()
        expect(page.locator(f"#swap-{swap.pk}").first).to_contain_text("已调换")
        shot(page, "safety-roster-05-approved")
        page.goto(f"/safety/roster/?week={mine.date.isoformat()}")
        row = page.locator(f"#day-{mine.date.isoformat()}")
        expect(row).to_contain_text(world.duty_teacher.name)
        shot(page, "safety-roster-06-week")
        assert fits_the_screen(page)
        page.emulate_media(media="print")
        expect(page.get_by_role("heading", name="课后服务值日表")).to_be_visible()
        expect(page.get_by_role("button", name="打印本周")).to_be_hidden()
        shot(page, "safety-roster-07-print")
        page.pdf(path=str(tmp_path / "week.pdf"), format="A4")
        assert (tmp_path / "week.pdf").stat().st_size > 1000
    assert DutyAssignment.objects.get(pk=mine.pk).staff == world.duty_teacher
    assert DutyAssignment.objects.get(pk=theirs.pk).staff == world.tutor
