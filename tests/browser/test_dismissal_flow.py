"""Dismissal on phones, through the real pages only (issue 12, "done when", the dismissal part).

张小明's mother shows a pickup code on her phone; the tutor opens the lesson's dismissal page
from the home page, escorts 王小刚 (going home alone) to the gate with one tap and releases
张小明 with the code; the mother's home page says who collected him and when. Nobody comes for
李华: the sweep hands him to the duty teacher, whose page shows him still in school; the duty
teacher releases him to his father from the list, and the day closes (全员离校), which the
office sees on its home page. Each person is on their own phone (390×844).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from afterschool.models import Notice
from attendance.models import Dismissal, DismissalDay, DutyHandover
from attendance.services import dismissals_sweep
from enrollment.models import Application

from .. import factories as f
from ..attendance.leave_builders import at, lesson, mark, term_around_today
from ..enrollment.factories import ApplicationFactory
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser
D = Application.Dismissal


def test_dismissal_code_gate_duty_and_the_day_closing(browser, live_server, world):
    term_around_today(world.term)
    today = timezone.localdate()
    walker = f.StudentFactory(school=world.school, homeroom=world.homeroom, name="王小刚")
    f.link_guardian(walker, f.GuardianFactory(school=world.school, name="王强"), "父亲")
    for child, way in ((world.child, D.PICKED_UP), (world.other_child, D.PICKED_UP),
                       (walker, D.ALONE)):
        ApplicationFactory(student=child, term=world.term, dismissal=way,
                           alone_consent=way == D.ALONE)
    kids = [world.child, world.other_child, walker]
    hw = lesson(world.term, today, kids, tutors=[world.tutor], title="作业辅导（七年级1班）")
    for kid in kids:
        mark(hw, kid, "present", by=world.tutor.user, when=at(today, 16, 42))

    # 1. 王丽 opens 张小明's pickup page from her home page and shows today's code.
    with phone_of(browser, live_server, world.guardian.user) as page:
        page.goto("/")
        page.get_by_role("link", name="放学接送与接送码").first.click()
        expect(page.get_by_role("heading", name="张小明 · 放学接送")).to_be_visible()
        page.get_by_label("谁来接").select_option(label="王丽（母亲）")
        page.get_by_role("button", name="生成接送码").click()
        expect(page.locator("#code-digits")).to_be_visible()
        code = page.locator("#code-digits").inner_text().strip()
        assert len(code) == 6 and code.isdigit()
        expect(page.locator("#pickup-code svg")).to_be_visible()
        expect(page.get_by_text("接送人：王丽（母亲）")).to_be_visible()
        shot(page, "dismissal-01-guardian-code")
        assert fits_the_screen(page)

    # 2. The tutor opens the dismissal page from the home page: 王小刚 to the gate in one tap,
    #    张小明 by the code his mother shows.
    with phone_of(browser, live_server, world.tutor.user) as page:
        page.goto("/")
        page.get_by_role("link", name="放学交接").first.click()
        expect(page.get_by_role("heading", name="放学交接 · 作业辅导（七年级1班）")).to_be_visible()
        expect(page.locator("#dismissal-counts")).to_contain_text("应放学 3")
        shot(page, "dismissal-02-tutor-page")
        assert fits_the_screen(page)
        page.get_by_role("button", name="护送出校门（1 人）").click()
        expect(page.locator(f"#child-{walker.pk}")).to_contain_text("已护送出校门")
        child = page.locator(f"#child-{world.child.pk}")
        child.get_by_label("张小明的接送码").fill(code)
        child.get_by_role("button", name="核对放学").click()
        expect(page.get_by_text("张小明：")).to_contain_text("已由 王丽（母亲）接走")
        expect(page.locator("#dismissal-counts")).to_contain_text("在校 1")
        shot(page, "dismissal-03-tutor-released")
        assert fits_the_screen(page)
    released = Dismissal.objects.get(student=world.child)
    assert (released.via, released.to_name, released.released_by) == ("code", "王丽",
                                                                      world.tutor.user)
    assert Dismissal.objects.get(student=walker).method == "gate"

    # 3. 王丽 sees it at once on her home page, and has a notice.
    hhmm = f"{timezone.localtime(released.released_at):%H:%M}"
    with phone_of(browser, live_server, world.guardian.user) as page:
        page.goto("/")
        expect(page.get_by_text(f"放学：{hhmm} 已由 王丽（母亲）接走", exact=True)).to_be_visible()
        shot(page, "dismissal-04-guardian-home")
        assert fits_the_screen(page)
    assert Notice.objects.filter(user=world.guardian.user,
                                 title=f"张小明已放学：{hhmm} 已由 王丽（母亲）接走").exists()

    # 4. Nobody has come for 李华 twenty minutes after the end: the sweep (beat) hands him to
    #    the duty teacher and tells the office.
    assert dismissals_sweep(now=timezone.make_aware(
        dt.datetime.combine(today, dt.time(17, 41)))) == 1
    assert DutyHandover.objects.get().student == world.other_child

    # 5. The duty teacher sees him still in school and releases him to his father.
    with phone_of(browser, live_server, world.duty_teacher.user) as page:
        page.goto("/")
        expect(page.locator("#panel-dismissal")).to_contain_text("仍在校 1")
        page.locator("#panel-dismissal").get_by_role("link", name="去交接").click()
        card = page.locator(f"#child-{world.other_child.pk}")
        expect(card).to_contain_text("超时未接")
        expect(card).to_contain_text("作业辅导（七年级1班）")
        shot(page, "dismissal-05-duty-page")
        assert fits_the_screen(page)
        card.get_by_label("李强（父亲）").check()
        card.get_by_role("button", name="交给所选接送人").click()
        expect(page.get_by_text("李华：")).to_contain_text("已由 李强（父亲）接走")
        expect(page.locator("#day-closed")).to_contain_text("全员离校")
        shot(page, "dismissal-06-day-closed")
        assert fits_the_screen(page)
    assert Dismissal.objects.get(student=world.other_child).released_as == "duty"
    closed = DismissalDay.objects.get(school=world.school, date=today).closed_at
    assert closed is not None

    # 6. The office sees the time the day closed.
    with phone_of(browser, live_server, world.coordinator) as page:
        page.goto("/")
        expect(page.locator("#panel-dismissal")).to_contain_text(
            f"全员离校 {timezone.localtime(closed):%H:%M}")
        shot(page, "dismissal-07-office-home")
        assert fits_the_screen(page)
