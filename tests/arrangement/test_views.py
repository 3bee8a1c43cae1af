"""The arrangement pages: who may open them, what they change, and that they stay flat."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.access import actor_for
from arrangement import exceptions, services
from arrangement.models import Arrangement, ArrangementChange, HomeroomModePeriod
from enrollment.models import Application

from .factories import make_course, run_now, small_term


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def draft(world, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=8, capacity=2)
    return st, run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)


@pytest.fixture
def published(world, office, draft, django_capture_on_commit_callbacks):
    st, run = draft
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return st, run


def _url(name, *args):
    return reverse(f"arrangement:{name}", args=args)


# ------------------------------------------------------------------ access


GETS = [
    ("list", ()), ("detail", (1,)), ("progress", (1,)),
    ("adjust", (1,)), ("compare", ()), ("export", (1,)),
    ("homework", (1,)), ("homeroom_mode", ()),
    ("section_roster", (1, 1)), ("homeroom_roster", (1, 1)),
    ("my_schedule", ()), ("my_sections", ()),
]
POSTS = [
    ("start", ()), ("publish", (1,)), ("fill", (1,)),
    ("move", (1, 1)), ("swap", (1, 1)), ("remove", (1, 1)),
    ("place", (1, 1)), ("section_tutor", (1,)),
    ("homeroom_mode", ()), ("homeroom_mode_end", (1,)),
]
# What only the office may do; the principal reads, never writes.
OFFICE_WRITES = [p for p in POSTS if p[0] != "homeroom_mode"]


@pytest.mark.parametrize("name,args", GETS)
def test_anonymous_is_sent_to_login(client, db, name, args):
    response = client.get(_url(name, *args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name,args", POSTS)
def test_anonymous_cannot_post(client, db, name, args):
    response = client.post(_url(name, *args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name,args", GETS[:8])
def test_guardians_cannot_open_office_pages(world, login, name, args):
    assert login(world.guardian.user).get(_url(name, *args)).status_code == 403


@pytest.mark.parametrize("name,args", OFFICE_WRITES + [("homeroom_mode", ())])
def test_the_principal_cannot_change_anything(world, login, name, args):
    assert login(world.principal).post(_url(name, *args)).status_code == 403


def test_only_guardians_and_tutors_have_their_pages(world, login):
    assert login(world.coordinator).get(_url("my_schedule")).status_code == 403
    assert login(world.guardian.user).get(_url("my_sections")).status_code == 403


def test_wrong_roles_are_refused(world, login, draft):
    st, run = draft
    client = login(world.guardian.user)
    assert client.get(_url("list")).status_code == 403
    assert client.get(_url("detail", run.pk)).status_code == 403
    assert client.post(_url("publish", run.pk)).status_code == 403
    client = login(world.principal)  # reads, but neither starts nor publishes
    assert client.get(_url("detail", run.pk)).status_code == 200
    assert client.post(_url("publish", run.pk)).status_code == 403
    assert client.get(_url("adjust", run.pk)).status_code == 403
    client = login(world.foreign_coordinator)  # another school's office: not found
    assert client.get(_url("detail", run.pk)).status_code == 404
    assert client.post(_url("publish", run.pk)).status_code == 404
    run.refresh_from_db()
    assert run.status == Arrangement.Status.DRAFT


# ------------------------------------------------------------------ the coordinator's pages


def test_start_a_run_from_the_list(world, login, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=6, capacity=2)
    client = login(world.coordinator)
    page = client.get(_url("list"))
    assert page.status_code == 200 and "开始计算" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("start"), {
            "term": st.term.pk, "mechanism": "lottery", "seed": "99"})
    run = Arrangement.objects.get()
    assert response.status_code == 302 and response.url == _url("detail", run.pk)
    assert run.mechanism == "lottery" and run.seed == 99 and run.is_computed
    assert run.placements.count() == 6


def test_run_page_shows_the_statistics(world, login, draft):
    st, run = draft
    page = login(world.coordinator).get(_url("detail", run.pk)).content.decode()
    for text in ("参加学生", "已证明最优", "秒", "第1志愿", "机器人", "不足3人",
                 "未安排的学生（2）", "所报课程已满，暂未安排", "作业辅导组"):
        assert text in page, text


def test_progress_box_polls_until_done(world, login, office):
    small_term(world)
    run = Arrangement.objects.create(term=world.term, version=1, seed=1,
                                     progress="正在分配：8 名学生…")
    client = login(world.coordinator)
    box = client.get(_url("progress", run.pk), HTTP_HX_REQUEST="true")
    assert "hx-trigger" in box.content.decode() and "正在分配" in box.content.decode()
    assert "HX-Refresh" not in box
    page = client.get(_url("detail", run.pk)).content.decode()
    assert 'id="run-progress"' in page
    run.finished_at = run.created_at
    run.save()
    box = client.get(_url("progress", run.pk), HTTP_HX_REQUEST="true")
    assert box["HX-Refresh"] == "true"


def test_publish_from_the_page(world, login, draft, django_capture_on_commit_callbacks):
    st, run = draft
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.coordinator).post(_url("publish", run.pk))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == Arrangement.Status.PUBLISHED
    assert Application.objects.filter(status="placed").count() == 8


def test_compare_two_drafts(world, login, office, draft, django_capture_on_commit_callbacks):
    st, exact = draft
    lottery = run_now(st.term, office, django_capture_on_commit_callbacks,
                      mechanism="lottery", seed=4)
    client = login(world.coordinator)
    page = client.get(_url("compare") + f"?a={exact.pk}&b={lottery.pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "按志愿优化分配" in text and "随机顺序抽签分配" in text and "各课程人数" in text
    assert "同一批学生" in text and "安排有变化的学生" in text
    # Without a pair: the chooser, with both runs offered (not a 404).
    for query in ("", "?a=1"):
        chooser = client.get(_url("compare") + query)
        assert chooser.status_code == 200
        assert f'<option value="{exact.pk}"' in chooser.content.decode()
        assert f'<option value="{lottery.pk}"' in chooser.content.decode()
    foreign = login(world.foreign_coordinator)
    assert foreign.get(_url("compare") +
                       f"?a={exact.pk}&b={lottery.pk}").status_code == 404


def test_export_is_a_workbook(world, login, draft):
    st, run = draft
    response = login(world.coordinator).get(_url("export", run.pk))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["名单", "未安排", "作业辅导", "统计"]
    rows = list(wb["名单"].values)
    assert rows[0] == ("课程", "教学班", "时间", "地点", "教师", "学生", "学籍号", "班级", "志愿")
    assert len(rows) == 1 + 6
    assert {r[0] for r in rows[1:]} == {"篮球", "书法", "机器人"}
    assert all(r[2].startswith("周") for r in rows[1:])  # each section's times
    assert {r[4] for r in rows[1:] if r[0] == "书法"} == {world.tutor.name}


# ------------------------------------------------------------------ adjustment


def test_adjust_page_finds_a_student(world, login, draft):
    st, run = draft
    placement = run.placements.select_related("student").first()
    page = login(world.coordinator).get(_url("adjust", run.pk) +
                                        f"?q={placement.student.name}")
    text = page.content.decode()
    assert page.status_code == 200 and "调到其他教学班" in text and "与其他学生互换" in text


def test_move_through_the_page(world, login, draft):
    st, run = draft
    placement = run.placements.filter(course=st.courses["robotics"]).first()
    target = st.courses["calligraphy"].sections.get()
    client = login(world.coordinator)
    url = _url("move", run.pk, placement.pk)
    response = client.post(url, {f"m{placement.pk}-section": target.pk, "q": "x"})
    assert response.status_code == 302 and "q=x" in response.url
    placement.refresh_from_db()
    assert placement.section_id != target.pk  # full: refused
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [exceptions.SECTION_FULL.format(section=target)]
    target.capacity = 5
    target.save()
    client.post(url, {f"m{placement.pk}-section": target.pk, f"m{placement.pk}-comment": "家长申请"})
    placement.refresh_from_db()
    assert placement.section_id == target.pk
    assert run.changes.get(kind=ArrangementChange.Kind.MOVE).comment == "家长申请"


def test_non_preference_warning_then_confirm(world, login, draft):
    st, run = draft
    dance = make_course(st.term, "舞蹈", grades=[st.grade], sections=((5, ((1, 2),)),))
    section = dance.sections.get()
    placement = run.placements.first()
    client = login(world.coordinator)
    url = _url("move", run.pk, placement.pk)
    response = client.post(url, {f"m{placement.pk}-section": section.pk})
    messages = list(response.wsgi_request._messages)
    assert messages[0].level_tag == "warning" and "确认安排非志愿课程" in str(messages[0])
    client.post(url, {f"m{placement.pk}-section": section.pk, f"m{placement.pk}-confirm": "on"})
    placement.refresh_from_db()
    assert placement.section == section and placement.rank is None


def test_swap_remove_place_and_tutor_through_the_page(world, login, draft):
    st, run = draft
    client = login(world.coordinator)
    a = run.placements.filter(course=st.courses["basketball"]).first()
    b = run.placements.filter(course=st.courses["calligraphy"]).first()
    client.post(_url("swap", run.pk, a.pk), {f"s{a.pk}-other": b.pk})
    a.refresh_from_db()
    assert a.course == st.courses["calligraphy"]
    client.post(_url("remove", run.pk, a.pk), {f"r{a.pk}-comment": "请假"})
    entry = run.unplaced.get(student=a.student)
    client.post(_url("place", run.pk, entry.pk),
                {f"p{entry.pk}-section": st.courses["calligraphy"].sections.get().pk})
    assert run.placements.filter(student=a.student).exists()
    robotics = st.courses["robotics"].sections.get()
    client.post(_url("section_tutor", run.pk),
                {"section": robotics.pk, "tutor": world.tutor.pk})
    assert list(robotics.tutors.all()) == [world.tutor]
    assert list(run.changes.exclude(kind="status").order_by("pk")
                .values_list("kind", flat=True)) == ["swap", "remove", "place", "tutor"]
    page = client.get(_url("adjust", run.pk)).content.decode()
    assert "更换教师" in page and "请假" in page


def test_fill_from_the_page(world, login, office, published, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from enrollment.services import application_withdraw

    st, run = published
    leaving = run.placements.filter(course=st.courses["basketball"]).first()
    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(application=leaving.application, actor=office,
                             withdrawn_on=timezone.localdate(), reason="转学")
    response = login(world.coordinator).post(_url("fill", run.pk))
    assert response.status_code == 302
    assert run.unplaced.count() == 1
    assert run.changes.filter(kind=ArrangementChange.Kind.FILL).count() == 1


# ------------------------------------------------------------------ rosters and flat queries


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["detail", "section", "homeroom", "adjust", "homework",
                                  "compare", "list"])
def test_pages_do_not_query_per_row(world, login, office, page,
                                    django_capture_on_commit_callbacks):
    counts = []
    for n in (10, 60):
        Arrangement.objects.all().delete()
        Application.objects.all().delete()
        from courses.models import Course

        Course.objects.all().delete()
        st = small_term(world, n_students=n, capacity=max(2, n // 4))
        run = run_now(st.term, office, django_capture_on_commit_callbacks)
        other = run_now(st.term, office, django_capture_on_commit_callbacks, mechanism="lottery")
        section = st.courses["basketball"].sections.get()
        url = {
            "detail": _url("detail", run.pk),
            "section": _url("section_roster", run.pk, section.pk),
            "homeroom": _url("homeroom_roster", run.pk, world.homeroom.pk),
            "adjust": _url("adjust", run.pk) + "?q=学生",
            "homework": _url("homework", run.pk),
            "compare": _url("compare") + f"?a={run.pk}&b={other.pk}",
            "list": _url("list"),
        }[page]
        client = login(world.coordinator)
        counts.append(_count(client, url))
    assert counts[0] == counts[1], counts


def test_tutor_sees_own_sections_only_after_publishing(world, login, office, draft,
                                                       django_capture_on_commit_callbacks):
    st, run = draft
    basketball = st.courses["basketball"].sections.get()  # 钱教练's
    calligraphy = st.courses["calligraphy"].sections.get()  # 赵老师's
    coach = login(world.external.user)
    assert coach.get(_url("section_roster", run.pk, basketball.pk)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    page = coach.get(_url("section_roster", run.pk, basketball.pk))
    assert page.status_code == 200 and "篮球 · 1班 学生名单" in page.content.decode()
    assert coach.get(_url("section_roster", run.pk,
                          calligraphy.pk)).status_code == 404
    mine = coach.get(_url("my_sections")).content.decode()
    assert "篮球" in mine and "书法" not in mine
    home = coach.get(reverse("school:home")).content.decode()
    assert "我的教学班" in home
    # …and, through the core's student scope, the children of the section.
    from afterschool.access import students_visible_to

    coach_actor = actor_for(world.external.user, world.school)
    seen = set(students_visible_to(coach_actor).values_list("pk", flat=True))
    assert seen == set(run.placements.filter(section=basketball)
                       .values_list("student_id", flat=True))


def test_homeroom_teacher_prints_own_homeroom(world, login, published):
    st, run = published
    teacher = login(world.homeroom_teacher.user)
    ok = teacher.get(_url("homeroom_roster", run.pk, world.homeroom.pk))
    assert ok.status_code == 200 and "张小明" in ok.content.decode()
    assert teacher.get(_url("homeroom_roster", run.pk,
                            world.other_homeroom.pk)).status_code == 404


# ------------------------------------------------------------------ guardians


def test_guardian_sees_schedule_and_why(world, login, published):
    from django.utils import timezone

    st, run = published
    # The page shows the current week of the term: let the term run now, every day.
    today = timezone.localdate()
    st.term.start_date, st.term.end_date = today - dt.timedelta(days=7), today + dt.timedelta(days=60)
    st.term.service_weekdays = [1, 2, 3, 4, 5, 6, 7]
    st.term.save()
    client = login(world.guardian.user)
    page = client.get(_url("my_schedule")).content.decode()
    placement = run.placements.filter(student=world.child).first()
    if placement:
        assert placement.note in page and placement.course.name in page
    else:
        assert "暂未安排，可联系课后服务办公室" in page
    assert "按志愿优化分配" in page and "作业辅导" in page and "李华" not in page
    home = client.get(reverse("school:home")).content.decode()
    assert "课后服务安排已发布" in home
    assert login(world.coordinator).get(_url("my_schedule")).status_code == 403


def test_guardian_sees_nothing_of_a_draft(world, login, draft):
    page = login(world.guardian.user).get(_url("my_schedule")).content.decode()
    assert "学校尚未发布统筹安排" in page
    assert "课后服务安排已发布" not in login(world.guardian.user).get(
        reverse("school:home")).content.decode()


def test_guardian_banner_in_homeroom_mode(world, login, published):
    from django.utils import timezone

    today = timezone.localdate()
    HomeroomModePeriod.objects.create(term=world.term, start_date=today - dt.timedelta(days=1),
                                      end_date=today + dt.timedelta(days=3), reason="流感高发期")
    page = login(world.guardian.user).get(_url("my_schedule")).content.decode()
    assert "按班级开展" in page and "流感高发期" in page


# ------------------------------------------------------------------ homeroom mode pages


def test_homeroom_mode_page(world, login):
    small_term(world)
    client = login(world.coordinator)
    url = _url("homeroom_mode")
    response = client.post(url, {"term": world.term.pk, "start_date": "2024-11-04",
                                 "end_date": "2024-11-08", "reason": "流感"})
    assert response.status_code == 302
    period = HomeroomModePeriod.objects.get()
    assert period.created_by == world.coordinator
    again = client.post(url, {"term": world.term.pk, "start_date": "2024-11-08",
                              "end_date": "2024-11-10", "reason": "延长"})
    assert again.status_code == 200 and "重叠" in again.content.decode()
    backwards = client.post(url, {"term": world.term.pk, "start_date": "2024-12-08",
                                  "end_date": "2024-12-01", "reason": "倒序"})
    assert backwards.status_code == 200 and HomeroomModePeriod.objects.count() == 1
    assert exceptions.HOMEROOM_MODE_BACKWARDS in backwards.content.decode()
    response = client.post(_url("homeroom_mode_end", period.pk))
    assert response.status_code == 302
    assert login(world.principal).post(url, {"term": world.term.pk}).status_code == 403
    foreign = login(world.foreign_coordinator)
    assert foreign.post(_url("homeroom_mode_end", period.pk)).status_code == 404


def test_office_home_panel(world, login, draft):
    st, run = draft
    home = login(world.coordinator).get(reverse("school:home")).content.decode()
    assert "统筹安排" in home and f"最新：第{run.version}版" in home


def test_guardian_home_tells_an_unplaced_child_why(world, login, published):
    """A child the run could not place is named on the home page with the reason, never
    shown as if a club had been assigned."""
    from arrangement.models import UnplacedEntry

    st, run = published
    run.placements.filter(student=world.child).delete()
    app = Application.objects.get(term=world.term, student=world.child)
    UnplacedEntry.objects.update_or_create(
        arrangement=run, student=world.child,
        defaults={"application": app, "reason": "所报课程已满，暂未安排，可联系课后服务办公室"})
    Application.objects.filter(pk=app.pk).update(status=Application.Status.PLACED)
    home = login(world.guardian.user).get(reverse("school:home")).content.decode()
    assert f"{world.child.name}</span>：暂未安排社团课程。所报课程已满" in home
    assert "已统筹安排，请留意课程" not in home


def test_the_addresses_people_know_are_kept():
    """The arrangement is an app of its own, its pages under /courses/arrangement/ (the
    addresses in notices and bookmarks)."""
    assert _url("list") == "/courses/arrangement/"
    assert _url("my_schedule") == "/courses/arrangement/my-schedule/"
    assert _url("adjust", 3) == "/courses/arrangement/3/adjust/"
    assert _url("homeroom_roster", 3, 4) == "/courses/arrangement/3/homerooms/4/roster/"
