"""The pages of safety: who gets in, what a POST changes, and query counts at two sizes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from afterschool.access import actor_for
from safety.models import (
    DutyAssignment,
    DutyKind,
    DutyRoster,
    DutySwap,
    DutyUnavailability,
    FollowUp,
    PatrolReport,
)
from safety.services import patrol_record, roster_generate, service_days
from tests import factories as f

from .builders import duty_today, jpeg_bytes, lesson_now, office, term_around_today

pytestmark = pytest.mark.django_db

PAGES = ["safety:home", "safety:roster", "safety:swaps", "safety:patrols",
         "safety:follow_ups", "safety:unavailable"]


def sign_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("name", PAGES + ["safety:summary", "safety:patrol_new"])
def test_anonymous_goes_to_the_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", PAGES + ["safety:summary", "safety:patrol_new"])
def test_a_guardian_is_turned_away(client, world, name):
    term_around_today(world.term)
    assert sign_in(client, world.guardian.user).get(reverse(name)).status_code == 403


def test_staff_pages_open_for_a_teacher(client, world):
    term_around_today(world.term)
    sign_in(client, world.tutor.user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    # The office's pages are not theirs; nor patrolling when not on duty.
    assert client.get(reverse("safety:summary")).status_code == 403
    assert client.get(reverse("safety:patrol_new")).status_code == 403
    assert client.post(reverse("safety:roster_generate")).status_code == 403


def test_the_office_generates_prints_and_exports_the_roster(client, world):
    term = term_around_today(world.term)
    sign_in(client, world.coordinator)
    page = client.get(reverse("safety:roster")).content.decode()
    assert "本学期的值日表尚未生成" in page and "生成值日表" in page
    response = client.post(reverse("safety:roster_generate"), {"from_date": ""})
    assert response.status_code == 302
    roster = DutyRoster.objects.get(term=term)
    assert roster.from_date == timezone.localdate()
    page = client.get(response["Location"]).content.decode()
    assert "值日表已生成" in page and "@page { size: A4 portrait" in page
    today = timezone.localdate()
    if today in service_days(term):
        assert f'id="day-{today:%Y-%m-%d}"' in page
    export = client.get(reverse("safety:roster_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(__import__("io").BytesIO(export.content))
    assert book.sheetnames == ["值日表", "值日次数"]
    rows = list(book["值日表"].iter_rows(values_only=True))
    assert rows[0] == ("日期", "星期", "值日教师", "值日领导")
    assert len(rows) - 1 == len(service_days(term, since=today))
    loads = client.get(reverse("safety:roster") + "?loads=1").content.decode()
    assert "每人值日次数" in loads


def test_a_shortage_is_shown_and_nothing_is_written(client, world):
    term = term_around_today(world.term)
    sign_in(client, world.coordinator)
    client.post(reverse("safety:settings"), {"duty_teachers_per_day": 9, "leaders_per_day": 1,
                                             "duty_pool": "all_staff", "follow_up_days": 3})
    response = client.post(reverse("safety:roster_generate"), {"from_date": ""}, follow=True)
    assert "可以值日的人数不够" in response.content.decode()
    assert not DutyRoster.objects.filter(term=term).exists()


def test_settings_are_for_the_office_to_change(client, world):
    sign_in(client, world.principal)
    assert client.get(reverse("safety:settings")).status_code == 200
    assert client.post(reverse("safety:settings"), {"duty_teachers_per_day": 2}).status_code \
        == 403
    sign_in(client, world.coordinator)
    bad = client.post(reverse("safety:settings"), {"duty_teachers_per_day": 0,
                                                   "leaders_per_day": 1,
                                                   "duty_pool": "all_staff",
                                                   "follow_up_days": 3})
    assert bad.status_code == 400


def test_a_teacher_declares_unavailable_days_on_the_phone_form(client, world):
    term = term_around_today(world.term)
    days = service_days(term, since=timezone.localdate())[:2]
    sign_in(client, world.tutor.user)
    response = client.post(reverse("safety:unavailable"),
                           {"dates": [d.isoformat() for d in days], "reason": "监考"})
    assert response.status_code == 302
    assert set(DutyUnavailability.objects.filter(staff=world.tutor).values_list(
        "date", flat=True)) == set(days)
    # Someone else's days: not for a teacher.
    assert client.get(reverse("safety:unavailable") + f"?staff={world.duty_teacher.pk}") \
        .status_code == 403
    bad = client.post(reverse("safety:unavailable"), {"dates": ["2001-01-01"]})
    assert bad.status_code == 400 and "“2001-01-01”不是今天以后的服务日" in bad.content.decode()


def test_swap_pages_ask_answer_approve(client, world):
    term = term_around_today(world.term)
    today = timezone.localdate()
    roster = DutyRoster.objects.create(term=term, teachers_per_day=1, leaders_per_day=0,
                                       from_date=today)
    mine = DutyAssignment.objects.create(roster=roster, date=today + dt.timedelta(days=3),
                                         staff=world.tutor, kind=DutyKind.TEACHER)
    DutyAssignment.objects.create(roster=roster, date=today + dt.timedelta(days=5),
                                  staff=world.duty_teacher, kind=DutyKind.TEACHER)
    sign_in(client, world.tutor.user)
    page = client.get(reverse("safety:swap_new", args=[mine.pk])).content.decode()
    assert world.duty_teacher.name in page
    theirs = f"{world.duty_teacher.pk}:{(today + dt.timedelta(days=5)).isoformat()}"
    assert client.post(reverse("safety:swap_new", args=[mine.pk]),
                       {"theirs": theirs}).status_code == 302
    swap = DutySwap.objects.get()
    # Not someone else's duty, and not a made-up one.
    other = DutyAssignment.objects.get(staff=world.duty_teacher)
    assert client.get(reverse("safety:swap_new", args=[other.pk])).status_code == 404
    assert client.post(reverse("safety:swap_new", args=[mine.pk]),
                       {"theirs": f"{world.homeroom_teacher.pk}:{today.isoformat()}"}
                       ).status_code == 400
    sign_in(client, world.duty_teacher.user)
    client.post(reverse("safety:swap_move", args=[swap.pk]),
                {"to_status": "accepted", "status": "requested"})
    sign_in(client, world.coordinator)
    assert "待办公室审批" in client.get(reverse("safety:swaps")).content.decode()
    client.post(reverse("safety:swap_move", args=[swap.pk]),
                {"to_status": "approved", "status": "accepted"})
    swap.refresh_from_db()
    assert swap.status == "approved"
    assert DutyAssignment.objects.get(pk=mine.pk).staff == world.duty_teacher
    # A stranger's swap is not found.
    sign_in(client, world.homeroom_teacher.user)
    assert client.post(reverse("safety:swap_move", args=[swap.pk]),
                       {"to_status": "cancelled", "status": "approved"}).status_code == 404


def test_a_duty_teacher_records_a_patrol_with_a_photo(client, world, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    term_around_today(world.term)
    lesson = lesson_now(world)
    duty_today(world, world.homeroom_teacher)
    sign_in(client, world.homeroom_teacher.user)
    home = client.get(reverse("school:home")).content.decode()
    assert "今天您值日" in home
    page = client.get(reverse("safety:patrol_new") + "?venue=301教室").content.decode()
    assert reverse("safety:patrol_form", args=[lesson.pk]) in page
    form = client.get(reverse("safety:patrol_form", args=[lesson.pk])).content.decode()
    assert "尚未点名" in form and world.tutor.name in form
    response = client.post(reverse("safety:patrol_form", args=[lesson.pk]), {
        "teacher": world.tutor.pk, "presence": "late", "head_count": "2",
        "activity": "as_planned", "notes": "", "photo": SimpleUploadedFile(
            "p.jpg", jpeg_bytes(size=(300, 200)), "image/jpeg")})
    assert response.status_code == 302
    report = PatrolReport.objects.get()
    assert report.has_finding and report.photo
    assert FollowUp.objects.filter(patrol=report).exists()
    photo = client.get(reverse("safety:patrol_photo", args=[report.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # The tutor concerned sees the finding and the photo; a colleague does not.
    sign_in(client, world.tutor.user)
    assert "巡查反馈与整改" in client.get(reverse("school:home")).content.decode()
    assert client.get(reverse("safety:patrol_photo", args=[report.pk])).status_code == 200
    sign_in(client, world.other_homeroom_teacher.user)
    assert client.get(reverse("safety:patrol", args=[report.pk])).status_code == 404
    assert client.get(reverse("safety:patrol_photo", args=[report.pk])).status_code == 404


def test_a_bad_patrol_form_is_shown_again_with_the_reason(client, world):
    term_around_today(world.term)
    lesson = lesson_now(world)
    sign_in(client, world.coordinator)
    response = client.post(reverse("safety:patrol_form", args=[lesson.pk]), {
        "presence": "present", "activity": "other", "notes": ""})
    assert response.status_code == 400
    assert "请在备注中写明" in response.content.decode()
    response = client.post(reverse("safety:patrol_form", args=[lesson.pk]), {
        "presence": "present", "activity": "as_planned",
        "photo": SimpleUploadedFile("x.jpg", b"GIF89a", "image/jpeg")})
    assert response.status_code == 400 and "不是可以识别的" in response.content.decode()
    assert not PatrolReport.objects.exists()


def test_a_lesson_of_another_school_is_not_found(client, world):
    term_around_today(world.term)
    foreign_term = f.TermFactory(school=world.other_school, start_date=world.term.start_date,
                                 end_date=world.term.end_date)
    from tests.attendance.leave_builders import lesson

    foreign = lesson(foreign_term, timezone.localdate(), [world.foreign_student],
                     start=(0, 0), end=(23, 59))
    sign_in(client, world.coordinator)
    assert client.get(reverse("safety:patrol_form", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("safety:patrol_form", args=[foreign.pk]),
                       {"presence": "late"}).status_code == 404
    assert not PatrolReport.objects.exists()


def test_the_office_assigns_and_closes_a_follow_up(client, world):
    term_around_today(world.term)
    lesson = lesson_now(world)
    patrol_record(actor=office(world), lesson=lesson, presence="absent")
    follow_up = FollowUp.objects.get()
    sign_in(client, world.coordinator)
    assert "1 条待指派" in client.get(reverse("school:home")).content.decode()
    url = reverse("safety:follow_up_move", args=[follow_up.pk])
    due = timezone.localdate() + dt.timedelta(days=2)
    bad = client.post(url, {"to_status": "assigned", "status": "open",
                            "assignee": world.tutor.pk, "due_date": "2001-01-01"})
    assert bad.status_code == 400 and "不能早于今天" in bad.content.decode()
    assert client.post(url, {"to_status": "assigned", "status": "open",
                             "assignee": world.tutor.pk, "due_date": due.isoformat()}
                       ).status_code == 302
    no_note = client.post(url, {"to_status": "closed", "status": "assigned", "comment": ""})
    assert no_note.status_code == 400 and "验收关闭" in no_note.content.decode()
    client.post(url, {"to_status": "closed", "status": "assigned", "comment": "已整改"})
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.assignee, follow_up.close_note) == (
        "closed", world.tutor, "已整改")
    page = client.get(reverse("safety:follow_up", args=[follow_up.pk])).content.decode()
    assert "验收意见：已整改" in page and "指派给赵老师" in page
    # The tutor cannot close it; a GET on the move URL is not a page.
    sign_in(client, world.tutor.user)
    assert client.get(url).status_code == 405


def test_the_month_per_teacher(client, world):
    term_around_today(world.term)
    lesson = lesson_now(world)
    patrol_record(actor=office(world), lesson=lesson, presence="late")
    sign_in(client, world.principal)
    page = client.get(reverse("safety:summary")).content.decode()
    assert "本月巡查 1 次，发现问题 1 个" in page and world.tutor.name in page
    home = client.get(reverse("school:home")).content.decode()
    assert "今日巡查 1 次，发现问题 1 个" in home


# ---------------------------------------------------------------------------- query counts


def grow(world, n: int):
    """``n`` more lessons today with a patrol each (half with findings), duties, swaps."""
    actor = office(world)
    start = PatrolReport.objects.count()
    for i in range(start, start + n):
        staff = f.StaffFactory(school=world.school)
        made = lesson_now(world, tutors=[staff], title=f"社团{i}", venue=f"{200 + i}教室")
        patrol_record(actor=actor, lesson=made, presence="late" if i % 2 else "present")


@pytest.mark.parametrize("role,name", [
    ("coordinator", "safety:roster"), ("coordinator", "safety:patrols"),
    ("coordinator", "safety:follow_ups"), ("coordinator", "safety:summary"),
    ("coordinator", "safety:patrol_new"), ("coordinator", "safety:swaps"),
    ("coordinator", "safety:home"), ("coordinator", "school:home"),
    ("tutor", "safety:home"), ("tutor", "school:home"),
])
def test_list_pages_do_not_grow_with_rows(client, world, role, name,
                                          django_assert_max_num_queries):
    term = term_around_today(world.term)
    roster_generate(term=term, actor=actor_for(world.coordinator, world.school))
    user = {"coordinator": world.coordinator, "tutor": world.tutor.user}[role]
    sign_in(client, user)
    url = reverse(name)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(world, 2)
    small = count()
    grow(world, 12)
    big = count()
    assert big <= small, (small, big)
    budget = 20 if name != "school:home" else 40  # the home page is everyone's panels
    with django_assert_max_num_queries(budget):
        client.get(url)


def test_the_panels_share_one_query_and_work_without_a_staff_row(client, world,
                                                                 django_assert_max_num_queries):
    from afterschool.access import actor_for
    from afterschool.models import Role
    from safety import panels

    term_around_today(world.term)
    patrol_record(actor=office(world), lesson=lesson_now(world), presence="late")
    actor = actor_for(world.coordinator, world.school)
    with django_assert_max_num_queries(1):
        assert panels.office_patrol_panel(actor)["text"] == "今日巡查 1 次，发现问题 1 个"
        panels.duty_panel(actor)
    # An office login with no staff row of its own (granted the role only).
    bare = f.UserFactory(name="办公室干事")
    f.grant(bare, Role.COORDINATOR, world.school)
    panel = panels.office_patrol_panel(actor_for(bare, world.school))
    assert panel["open"] == {"total": 1, "unassigned": 1, "overdue": 0}
    assert panels.duty_panel(actor_for(bare, world.school)) is None
    home = sign_in(client, bare).get(reverse("school:home")).content.decode()
    assert "今日巡查 1 次，发现问题 1 个" in home
