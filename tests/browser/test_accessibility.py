"""axe-core on the main page of every role, on a phone (390×844): no serious or critical fault.

axe-core (``vendor/axe.min.js``, MPL-2.0, a test asset: never served) is injected into each
page after it loads and run with the WCAG 2.0/2.1 A and AA rules. Every serious or critical
violation fails the test with the page, the rule, axe's help text and the elements; a
screenshot of each page is kept for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from arrangement import services as arrangement
from arrangement.models import Arrangement
from enrollment.models import Application

from .. import factories
from ..arrangement.factories import small_term
from ..attendance.leave_builders import lesson, term_around_today
from ..enrollment.factories import AgreementFactory, ApplicationFactory
from .conftest import PHONE, fits_the_screen, shot, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """The page's serious and critical WCAG A/AA violations, as axe-core reports them."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", WCAG_AA)
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


def describe(name: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(n["target"]) + " — " + n.get("failureSummary", "")
                            .replace("\n", " ")[:160] for n in v["nodes"][:4])
        lines.append(f"{name}: [{v['impact']}] {v['id']} ({v['help']}) × {len(v['nodes'])}: "
                     f"{targets}")
    return lines


@pytest.fixture
def school_in_service(world):
    """A published arrangement of the world's grade 7, the window open, a form in progress,
    one waiting for the 班主任, and today's homework lesson for the roll call."""
    term_around_today(world.term)
    st = small_term(world, n_students=6, capacity=2)
    AgreementFactory(term=world.term, version=1)
    office = actor_for(world.coordinator, world.school)
    run = arrangement.arrangement_start(term=world.term, actor=office)
    run.refresh_from_db()
    assert run.is_computed, run.error
    arrangement.arrangement_publish(arrangement=run, actor=office)
    # A third child of 王丽 whose form is still a draft: the intention form itself.
    third = factories.StudentFactory(school=world.school, homeroom=world.other_homeroom,
                                     name="张小亮")
    factories.link_guardian(third, world.guardian)
    draft = ApplicationFactory(student=third, term=world.term, status=Application.Status.DRAFT,
                               weekdays=[])
    # A form waiting for 七年级1班's 班主任.
    waiting = factories.StudentFactory(school=world.school, homeroom=world.homeroom,
                                       name="周小雨")
    submitted = ApplicationFactory(student=waiting, term=world.term,
                                   status=Application.Status.SUBMITTED,
                                   submitted_at=timezone.now())
    today = timezone.localdate()
    homework = lesson(world.term, today, [world.child, world.other_child],
                      tutors=[world.tutor], title="作业辅导（七年级1班）")
    section = st.courses["calligraphy"].sections.get()
    return {"run": run, "draft": draft, "waiting": submitted, "lesson": homework,
            "section": section}


def test_no_serious_or_critical_axe_violation_on_the_main_pages(
        browser, live_server, world, school_in_service):
    run = Arrangement.objects.get(pk=school_in_service["run"].pk)
    draft, waiting = school_in_service["draft"], school_in_service["waiting"]
    section, homework = school_in_service["section"], school_in_service["lesson"]
    visits = [
        (world.guardian.user, [
            ("guardian-home", reverse("school:home")),
            ("guardian-form", reverse("enrollment:edit", args=[draft.pk])),
            ("guardian-sign", reverse("enrollment:sign", args=[draft.pk])),
            ("guardian-schedule", reverse("arrangement:my_schedule")),
            ("guardian-catalog", reverse("courses:catalog_browse")),
            ("guardian-403", reverse("arrangement:list")),
            ("guardian-404", reverse("enrollment:detail", args=[999999]))]),
        (world.homeroom_teacher.user, [
            ("teacher-home", reverse("school:home")),
            ("teacher-review-queue", reverse("enrollment:review")),
            ("teacher-application", reverse("enrollment:detail", args=[waiting.pk]))]),
        (world.coordinator, [
            ("office-home", reverse("school:home")),
            ("office-arrangements", reverse("arrangement:list")),
            ("office-arrangement", reverse("arrangement:detail", args=[run.pk])),
            ("office-homework-groups", reverse("arrangement:homework", args=[run.pk])),
            ("office-statistics", reverse("enrollment:statistics"))]),
        (world.tutor.user, [
            ("tutor-home", reverse("school:home")),
            ("tutor-sections", reverse("arrangement:my_sections")),
            ("tutor-roster", reverse("arrangement:section_roster", args=[run.pk, section.pk])),
            ("tutor-roll-call", reverse("attendance:roll_call", args=[homework.pk]))]),
    ]
    found, seen = [], []
    for user, pages in visits:
        context = browser.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            sign_in(page, user.phone, factories.DEFAULT_PASSWORD)
            for name, url in pages:
                response = page.goto(url)
                expected = int(name[-3:]) if name[-3:].isdigit() else 200
                assert response.status == expected, f"{name}: {url} answered {response.status}"
                page.wait_for_load_state("networkidle")
                shot(page, f"a11y-{name}")
                assert fits_the_screen(page), f"{name}: the page scrolls sideways"
                found += describe(name, axe_violations(page))
                seen.append(name)
        finally:
            context.close()
    assert len(seen) == 19
    assert not found, "axe-core (WCAG 2.1 AA) on a phone:\n" + "\n".join(found)


def test_axe_finds_what_it_should(browser, live_server):
    """The check itself: a page with low contrast and an unlabelled field fails it."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.set_content('<html lang="zh-CN"><head><title>t</title></head><body><main>'
                         '<p style="color:#ffc107;background:#f8f9fa">迟到</p>'
                         '<input type="text"></main></body></html>')
        rules = {v["id"] for v in axe_violations(page)}
    finally:
        context.close()
    assert {"color-contrast", "label"} <= rules
