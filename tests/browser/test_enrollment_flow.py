"""The intention form's whole life, on a phone, through the real pages only.

家长申请 → 班级审核 → 学校复核: a guardian fills in and signs the form, the homeroom teacher
approves it, the office re-reviews it, and the guardian sees the result. Also the two other
paths a homeroom sees every term: a form returned for correction and resubmitted, and a
family that answers "不参加". Each person uses their own browser context (their own phone);
factories only set up the term's agreement and courses. After each flow the database is
checked as well as the page.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from afterschool.models import Notice, Role
from enrollment.models import Application, ApplicationTransition

from ..courses.factories import CourseFactory, SectionFactory
from ..enrollment.factories import AgreementFactory
from .conftest import fits_the_screen, phone_of, shot

pytestmark = pytest.mark.browser

Status = Application.Status
AGREEMENT_SERVICE = "学校每周一至周四放学后提供课后服务，家长自愿申请，不收取任何费用。"
AGREEMENT_SAFETY = "辅导教师点名、护送学生离校；家长按时接孩子。"
PICKUP = {"name": "张建国", "relation": "爷爷", "phone": "13912345678"}
CONTACT_PHONE = "13800138000"


@pytest.fixture
def term_ready(world):
    """The office has published the agreement and two featured courses for grade 7."""
    AgreementFactory(term=world.term, version=1, service_text=AGREEMENT_SERVICE,
                     safety_text=AGREEMENT_SAFETY)
    grade = world.homeroom.grade
    basketball = CourseFactory(term=world.term, name="篮球", category="体育技能", grades=[grade])
    papercut = CourseFactory(term=world.term, name="过门笺剪纸", category="艺术素养",
                             grades=[grade])
    SectionFactory(course=basketball, slots=[(2, 2)], tutors=[world.external])
    SectionFactory(course=papercut, slots=[(3, 2)], tutors=[world.tutor])
    return world


def looks_right(page, name):
    """Every page a person sees fits a phone; keep a picture of it (``name=None``: seen before)."""
    assert fits_the_screen(page), f"{name or page.url}: the page scrolls sideways"
    if name:
        shot(page, f"enroll-{name}")


def when(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def tap_toggle(page, role, name):
    """Bootstrap's button-like choices: the input is hidden, a person taps its label."""
    page.get_by_text(name, exact=True).tap()
    expect(page.get_by_role(role, name=name, exact=True)).to_be_checked()


def card(page, title):
    """A card on the page, by what its header says."""
    return page.locator(".card").filter(has=page.locator(".card-header", has_text=title))


def child_row(page, child):
    """The child's line in the home page's 课后服务意向书 panel."""
    return card(page, "课后服务意向书").get_by_role("listitem").filter(has_text=child.name)


def step(shots, name):
    return f"{shots}-{name}" if shots else None


def open_the_form(page, world, shots=None):
    """From the home page: 填写意向书 → read what the service is → 我已了解，开始填写."""
    child_row(page, world.child).get_by_role("link", name="填写意向书").tap()
    expect(page.get_by_role("heading", name=f"{world.child.name}的课后服务意向书")).to_be_visible()
    # Content, schedule and safety are open for reading before anything is asked.
    expect(page.get_by_role("button", name="服务内容")).to_be_visible()
    expect(page.get_by_text(world.term.service_content)).to_be_visible()
    expect(page.get_by_role("button", name="安全措施")).to_be_visible()
    expect(page.get_by_text(world.term.safety_text)).to_be_visible()
    expect(page.get_by_text("第1节 16:40–17:20")).to_be_visible()
    looks_right(page, step(shots, "start"))
    page.get_by_role("button", name="我已了解，开始填写").tap()
    expect(page.get_by_role("heading", name="是否参加课后服务")).to_be_visible()


def fill_participating_form(page, world, shots=None):
    tap_toggle(page, "radio", "参加课后服务")
    for day in ("周一", "周二", "周四"):
        tap_toggle(page, "checkbox", day)
    page.get_by_label("第一志愿").select_option(label="篮球（体育技能）")
    page.get_by_label("第二志愿").select_option(label="过门笺剪纸（艺术素养）")
    page.get_by_role("radio", name="家长接送").check()
    page.get_by_label("姓名", exact=True).first.fill(PICKUP["name"])
    page.get_by_label("关系", exact=True).first.fill(PICKUP["relation"])
    page.get_by_label("手机号", exact=True).first.fill(PICKUP["phone"])
    page.get_by_label("紧急联系电话").fill(CONTACT_PHONE)
    looks_right(page, step(shots, "form-filled"))


def sign_and_submit(page, world, shots=None):
    agreement = page.get_by_label("协议全文")
    expect(agreement).to_contain_text(AGREEMENT_SERVICE)
    expect(agreement).to_contain_text(AGREEMENT_SAFETY)
    page.get_by_role("checkbox", name="我已阅读并同意《课后服务协议》和《安全责任书》").check()
    page.get_by_label(f"签名（请输入您的姓名：{world.guardian.name}）").fill(world.guardian.name)
    looks_right(page, step(shots, "signed"))
    page.get_by_role("button", name="签名并提交").tap()
    expect(page.get_by_text("意向书已提交，等待班主任审核。")).to_be_visible()


def teacher_opens_from_queue(page, world, shots):
    """From the home page: 去审核 → the pending list → the child's form."""
    page.get_by_role("link", name="去审核").tap()
    expect(page.get_by_role("heading", name="意向书审核")).to_be_visible()
    row = page.locator(".list-group-item").filter(
        has=page.get_by_role("link", name=world.child.name))
    expect(row.get_by_text("待班主任审核")).to_be_visible()
    expect(row.get_by_text("参加", exact=True)).to_be_visible()
    looks_right(page, f"{shots}-queue")
    row.get_by_role("link", name=world.child.name).tap()
    expect(page.get_by_role("heading", name=f"{world.child.name}的课后服务意向书")).to_be_visible()


def history_entries(page):
    return page.locator(".status-history")


# ---------------------------------------------------------------------------- the happy path

def test_guardian_applies_teacher_and_office_approve(browser, live_server, term_ready):
    world = term_ready
    child, guardian = world.child, world.guardian

    # 1. 家长申请
    with phone_of(browser, live_server, guardian.user) as page:
        looks_right(page, "01-guardian-home")
        open_the_form(page, world, shots="01-guardian")
        fill_participating_form(page, world, shots="01-guardian")
        sign_and_submit(page, world, shots="01-guardian")

        application = Application.objects.get(student=child, term=world.term)
        assert application.status == Status.SUBMITTED
        status = page.get_by_role("status")
        expect(status).to_have_text(f"等待班主任审核，已提交于{when(application.submitted_at)}")
        expect(page.get_by_text("周一、周二、周四")).to_be_visible()
        expect(page.get_by_text("第1志愿：篮球")).to_be_visible()
        expect(page.get_by_text("第2志愿：过门笺剪纸")).to_be_visible()
        expect(page.get_by_text(f"{PICKUP['name']}（{PICKUP['relation']}）")).to_be_visible()
        expect(page.get_by_text(f"{guardian.name} 于")).to_contain_text("签署第1版")
        looks_right(page, "01-guardian-submitted")

    # 2. 班级审核
    with phone_of(browser, live_server, world.homeroom_teacher.user) as page:
        expect(page.get_by_role("link", name="待审核 1 份")).to_be_visible()
        looks_right(page, "02-teacher-home")
        teacher_opens_from_queue(page, world, shots="02-teacher")
        expect(page.get_by_role("status")).to_contain_text("等待班主任审核")
        expect(page.get_by_role("button", name="退回修改")).to_be_visible()
        looks_right(page, "02-teacher-detail")
        page.get_by_role("button", name="班级审核通过").tap()
        expect(page.get_by_text(f"{child.name}：班主任已审核，等待学校复核。")).to_be_visible()
        # Back on the list it has left "待班主任审核".
        expect(page.get_by_role("link", name=child.name)).to_be_hidden()
        looks_right(page, "02-teacher-approved")

    # 3. 学校复核
    with phone_of(browser, live_server, world.coordinator) as page:
        expect(page.get_by_role("link", name="待复核 1 份")).to_be_visible()
        looks_right(page, "03-office-home")
        page.get_by_role("link", name="去复核").tap()
        expect(page.get_by_role("heading", name="意向书复核")).to_be_visible()
        looks_right(page, "03-office-queue")
        page.get_by_role("link", name=child.name).tap()
        expect(page.get_by_role("status")).to_contain_text("班主任已审核通过，等待学校复核")
        looks_right(page, "03-office-detail")
        page.get_by_role("button", name="学校复核通过").tap()
        expect(page.get_by_text(f"{child.name}：学校已复核，等待统筹安排。")).to_be_visible()
        looks_right(page, "03-office-approved")

    # 4. The guardian sees the result.
    application.refresh_from_db()
    with phone_of(browser, live_server, guardian.user) as page:
        notices = card(page, "通知")
        expect(notices.get_by_role("link",
                                   name=f"{child.name}的课后服务意向书：学校已复核通过")).to_be_visible()
        expect(notices.get_by_text("学校已复核通过，等待统筹安排，安排结果将另行通知。")).to_be_visible()
        row = child_row(page, child)
        expect(row.get_by_text("学校已通过")).to_be_visible()
        expect(row).to_contain_text("学校已复核通过，等待统筹安排")
        looks_right(page, "04-guardian-home")
        row.get_by_role("link", name="查看进度").tap()
        expect(page.get_by_role("status")).to_have_text(
            f"学校已复核通过，等待统筹安排（{when(application.status_changed_at)}）")
        history = history_entries(page)
        expect(history).to_have_count(3)
        moves = list(application.transitions.order_by("at", "pk"))
        expected = [
            (guardian.name, "家长", "草稿", "等待班主任审核"),
            (world.homeroom_teacher.name, "班主任", "等待班主任审核", "班主任已审核，等待学校复核"),
            (world.coordinator.name, "课后服务办公室", "班主任已审核，等待学校复核",
             "学校已复核，等待统筹安排"),
        ]
        for entry, move, (who, role, frm, to) in zip(history.all(), moves, expected, strict=True):
            expect(entry).to_contain_text(f"{when(move.at)} · {who}（{role}）")
            expect(entry).to_contain_text(f"{frm} → {to}")
        looks_right(page, "04-guardian-result")

    application.refresh_from_db()
    assert application.status == Status.SCHOOL_APPROVED
    assert application.participates is True
    assert application.weekdays == [1, 2, 4]
    assert [p.course.name for p in application.preferences.order_by("rank")] == ["篮球",
                                                                                 "过门笺剪纸"]
    assert list(application.pickup_persons.values("name", "relation", "phone")) == [PICKUP]
    assert application.contact_phone == CONTACT_PHONE
    assert application.signatures.get().signed_name == guardian.name
    rows = list(ApplicationTransition.objects.filter(application=application)
                .order_by("at", "pk").values_list("from_status", "to_status", "actor",
                                                   "actor_role"))
    assert rows == [
        (Status.DRAFT, Status.SUBMITTED, guardian.user.pk, Role.GUARDIAN),
        (Status.SUBMITTED, Status.CLASS_APPROVED, world.homeroom_teacher.user.pk,
         Role.HOMEROOM_TEACHER),
        (Status.CLASS_APPROVED, Status.SCHOOL_APPROVED, world.coordinator.pk, Role.COORDINATOR),
    ]
    # Told about each decision, not about their own submission.
    assert sorted(Notice.objects.filter(user=guardian.user).values_list("title", flat=True)) == [
        f"{child.name}的课后服务意向书：学校已复核通过",
        f"{child.name}的课后服务意向书：班主任已审核通过",
    ]


# ---------------------------------------------------------------------------- returned

def test_teacher_returns_the_form_and_the_guardian_corrects_it(browser, live_server, term_ready):
    world = term_ready
    child, guardian = world.child, world.guardian
    reason = "请填写孩子的过敏史，没有请写“无”"

    with phone_of(browser, live_server, guardian.user) as page:
        # Filled in as in the first test; no pictures of the same pages again.
        open_the_form(page, world)
        fill_participating_form(page, world)
        sign_and_submit(page, world)

    with phone_of(browser, live_server, world.homeroom_teacher.user) as page:
        teacher_opens_from_queue(page, world, shots="11-teacher")
        # Returning needs a reason the parent can act on: without one nothing happens.
        page.get_by_role("button", name="退回修改").tap()
        expect(page.get_by_role("alert").filter(has_text="请填写“退回修改”的原因。")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("等待班主任审核")
        looks_right(page, "11-teacher-return-needs-reason")
        assert Application.objects.get(student=child).status == Status.SUBMITTED
        page.get_by_label("意见或原因").fill(reason)
        looks_right(page, "11-teacher-returning")
        page.get_by_role("button", name="退回修改").tap()
        expect(page.get_by_text(f"{child.name}：退回修改。")).to_be_visible()
        looks_right(page, "11-teacher-returned")

    with phone_of(browser, live_server, guardian.user) as page:
        notices = card(page, "通知")
        expect(notices.get_by_role("link", name=f"{child.name}的课后服务意向书被退回修改")).to_be_visible()
        expect(notices.get_by_text(f"原因：{reason}。")).to_be_visible()
        row = child_row(page, child)
        expect(row).to_contain_text(f"老师退回修改：{reason}。请修改后重新提交")
        looks_right(page, "12-guardian-home-returned")
        row.get_by_role("link", name="按意见修改").tap()
        expect(page.get_by_text(f"老师退回修改：{reason}")).to_be_visible()
        # What was filled in before is still there.
        expect(page.get_by_label("姓名", exact=True).first).to_have_value(PICKUP["name"])
        expect(page.get_by_label("第一志愿")).to_have_value(
            str(Application.objects.get(student=child).preferences.get(rank=1).course_id))
        page.get_by_label("过敏史").fill("无")
        tap_toggle(page, "checkbox", "周三")
        # Already signed this version: no second signature, the button just says 提交.
        expect(page.get_by_text("您已签署第1版《课后服务协议》和《安全责任书》。")).to_be_visible()
        looks_right(page, "12-guardian-correcting")
        page.get_by_role("button", name="提交", exact=True).tap()
        expect(page.get_by_text("意向书已提交，等待班主任审核。")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("等待班主任审核，已提交于")
        looks_right(page, "12-guardian-resubmitted")

    with phone_of(browser, live_server, world.homeroom_teacher.user) as page:
        expect(page.get_by_role("link", name="待审核 1 份")).to_be_visible()
        teacher_opens_from_queue(page, world, shots="13-teacher-again")
        expect(page.get_by_text("过敏史：无")).to_be_visible()
        expect(page.get_by_text("周一、周二、周三、周四")).to_be_visible()
        expect(history_entries(page)).to_have_count(3)
        expect(history_entries(page).nth(1)).to_contain_text(reason)
        expect(page.get_by_role("button", name="班级审核通过")).to_be_visible()
        looks_right(page, "13-teacher-sees-it-again")

    application = Application.objects.get(student=child, term=world.term)
    assert application.status == Status.SUBMITTED
    assert application.allergies == "无"
    assert application.weekdays == [1, 2, 3, 4]
    assert application.decision_comment == ""
    assert application.signatures.count() == 1
    rows = list(application.transitions.order_by("at", "pk").values_list(
        "from_status", "to_status", "actor", "actor_role", "comment"))
    assert rows == [
        (Status.DRAFT, Status.SUBMITTED, guardian.user.pk, Role.GUARDIAN, ""),
        (Status.SUBMITTED, Status.RETURNED, world.homeroom_teacher.user.pk,
         Role.HOMEROOM_TEACHER, reason),
        (Status.RETURNED, Status.SUBMITTED, guardian.user.pk, Role.GUARDIAN, ""),
    ]
    assert list(Notice.objects.filter(user=guardian.user).values_list("title", "body")) == [
        (f"{child.name}的课后服务意向书被退回修改", f"原因：{reason}。请登录系统按意见修改后重新提交。"),
    ]


# ---------------------------------------------------------------------------- declined

def test_guardian_declines_and_the_teacher_sees_it(browser, live_server, term_ready):
    world = term_ready
    child, guardian = world.child, world.guardian

    with phone_of(browser, live_server, guardian.user) as page:
        open_the_form(page, world)
        tap_toggle(page, "radio", "不参加")
        # Nothing else of the form applies: the days, courses, pickup and signature go away.
        expect(page.get_by_role("heading", name="需要参加的日子")).to_be_hidden()
        expect(page.get_by_role("heading", name="签署协议")).to_be_hidden()
        submit = page.get_by_role("button", name="提交“不参加”")
        expect(submit).to_be_visible()
        looks_right(page, "20-guardian-declining")
        submit.tap()
        expect(page.get_by_text("意向书已提交，等待班主任审核。")).to_be_visible()
        application = Application.objects.get(student=child, term=world.term)
        expect(page.get_by_role("status")).to_have_text(
            f"等待班主任审核，已提交“不参加”于{when(application.submitted_at)}")
        expect(page.get_by_text("是否参加：不参加")).to_be_visible()
        expect(page.get_by_text("不参加，无需签署")).to_be_visible()
        looks_right(page, "20-guardian-declined")

    with phone_of(browser, live_server, world.homeroom_teacher.user) as page:
        page.get_by_role("link", name="去审核").tap()
        row = page.locator(".list-group-item").filter(
            has=page.get_by_role("link", name=child.name))
        expect(row.get_by_text("不参加", exact=True)).to_be_visible()
        expect(row.get_by_text("待班主任审核")).to_be_visible()
        looks_right(page, "21-teacher-queue-declined")
        # The whole homeroom: the family that has not answered yet is listed as 未填写 ...
        page.get_by_role("link", name="全部 2").tap()
        other = page.locator(".list-group-item").filter(has_text=world.other_child.name)
        expect(other.get_by_text("未填写")).to_be_visible()
        # ... and asking for the families who said 不参加 leaves only this one.
        page.get_by_label("是否参加").select_option(label="不参加")
        page.get_by_role("button", name="筛选").tap()
        expect(page.get_by_role("link", name=child.name)).to_be_visible()
        expect(page.get_by_text(world.other_child.name)).to_be_hidden()
        looks_right(page, "21-teacher-queue-filtered")

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.participates is False
    assert application.weekdays == []
    assert not application.preferences.exists()
    assert not application.pickup_persons.exists()
    assert not application.signatures.exists()
    rows = list(application.transitions.values_list("from_status", "to_status", "actor",
                                                     "actor_role"))
    assert rows == [(Status.DRAFT, Status.SUBMITTED, guardian.user.pk, Role.GUARDIAN)]
