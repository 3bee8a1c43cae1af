"""The access log of children's sensitive details (issue 15): one INSERT per request, exactly
who, which children and what for each page and export, the principal's 访问记录, a family's
谁查看了孩子的信息, and the retention purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.audit import log_access, sensitive_access_purge, surname, viewer_for_family
from afterschool.models import Role, SensitiveAccess
from enrollment.models import PickupPerson
from tests import factories as f
from tests.arrangement.factories import make_application
from tests.arrangement.test_safety_rosters import _section_of, published  # noqa: F401
from tests.attendance.leave_builders import lesson, term_around_today
from tests.attendance.test_dismissal_services import build_day

pytestmark = pytest.mark.django_db
Kind = SensitiveAccess.Kind


def _request(path="/somewhere/"):
    request = RequestFactory().get(path, REMOTE_ADDR="10.1.2.3")
    return request


def _log(world, user, students, **kw):
    actor = actor_for(user, world.school)
    kw.setdefault("kinds", [Kind.HEALTH])
    kw.setdefault("place", "名单：测试")
    return log_access(_request(), actor, students, **kw)


# ------------------------------------------------------------------ the helper


def test_a_roster_of_25_children_is_one_insert(world, django_assert_num_queries):
    kids = [world.child, *(f.StudentFactory(school=world.school, homeroom=world.homeroom)
                           for _ in range(24))]
    actor = actor_for(world.coordinator, world.school)
    with django_assert_num_queries(1):
        written = log_access(_request("/courses/arrangement/1/roster/"), actor, kids,
                             kinds=[Kind.HEALTH, Kind.PICKUP], place="名单：书法 1班")
    assert written == 25
    rows = SensitiveAccess.objects.filter(school=world.school)
    assert rows.count() == 25
    row = rows.get(student=world.child)
    assert (row.user, row.user_name, row.role, row.kinds, row.place, row.path, row.ip_address,
            row.is_export) == (world.coordinator, "孙主任", Role.COORDINATOR,
                               ["health", "pickup"], "名单：书法 1班",
                               "/courses/arrangement/1/roster/", "10.1.2.3", False)
    assert len({r.at for r in rows}) == 1  # one moment: one page view


def test_entries_carry_what_each_child_showed_and_repeat_children_merge(world):
    actor = actor_for(world.tutor.user, world.school)
    log_access(_request(), actor, entries=[(world.child, [Kind.PICKUP]),
                                           (world.child.pk, [Kind.PHONE]),
                                           (world.other_child, [])],
               place="放学交接", role=Role.TUTOR)
    rows = list(SensitiveAccess.objects.all())
    assert [(r.student_id, r.kinds, r.role) for r in rows] == [
        (world.child.pk, ["pickup", "phone"], "tutor")]


def test_nothing_is_written_for_a_family_nobody_or_no_child(world, django_assert_num_queries):
    guardian = actor_for(world.guardian.user, world.school)
    office = actor_for(world.coordinator, world.school)
    with django_assert_num_queries(0):
        assert log_access(_request(), guardian, [world.child], kinds=[Kind.HEALTH],
                          place="x") == 0
        assert log_access(_request(), office, [], kinds=[Kind.HEALTH], place="x") == 0
        assert log_access(_request(), office, [world.child], kinds=[], place="x") == 0
    assert not SensitiveAccess.objects.exists()


def test_purge_deletes_only_rows_past_the_retention(world, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    _log(world, world.coordinator, [world.child, world.other_child])
    now = timezone.now()
    SensitiveAccess.objects.filter(student=world.child).update(at=now - dt.timedelta(days=31))
    assert sensitive_access_purge(now=now, dry_run=True) == 1
    assert SensitiveAccess.objects.count() == 2  # a dry run deletes nothing
    assert sensitive_access_purge(now=now) == 1
    assert list(SensitiveAccess.objects.values_list("student_id", flat=True)) == [
        world.other_child.pk]
    assert sensitive_access_purge(now=now) == 0  # safe to run twice


def test_the_family_reads_role_and_surname():
    row = SensitiveAccess(user_name="欧阳娜娜", role=Role.TUTOR)
    assert viewer_for_family(row) == "欧阳老师（辅导教师）"
    assert viewer_for_family(SensitiveAccess(user_name="周校长", role=Role.PRINCIPAL)) == "周校长"
    assert surname("孙主任") == "孙"


# ------------------------------------------------------------------ every page that shows them


@pytest.fixture
def form(world):
    app = make_application(world.term, world.child, status="submitted")
    app.health_notes, app.allergies, app.contact_phone = "哮喘", "花生", "13812345678"
    app.dismissal = "picked_up"
    app.save()
    PickupPerson.objects.create(application=app, name="张爷爷", relation="爷爷",
                                phone="13900139000")
    return app


def test_the_application_detail_logs_who_and_what(world, login, form):
    url = reverse("enrollment:detail", args=[form.pk])
    assert login(world.guardian.user).get(url).status_code == 200
    assert not SensitiveAccess.objects.exists()  # the family's own child
    assert login(world.homeroom_teacher.user).get(url).status_code == 200
    assert login(world.coordinator).get(url).status_code == 200
    rows = {r.user_id: r for r in SensitiveAccess.objects.filter(student=world.child)}
    assert set(rows) == {world.homeroom_teacher.user_id, world.coordinator.pk}
    assert rows[world.homeroom_teacher.user_id].kinds == ["health", "pickup"]
    assert rows[world.homeroom_teacher.user_id].role == Role.HOMEROOM_TEACHER
    assert rows[world.coordinator.pk].kinds == ["health", "pickup", "phone"]
    assert rows[world.coordinator.pk].place == "意向书详情"


def test_a_section_roster_logs_each_child_on_it(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    assert login(world.tutor.user).get(url).status_code == 200
    on_roster = set(run.placements.filter(section=section).values_list("student_id", flat=True))
    rows = SensitiveAccess.objects.filter(user=world.tutor.user)
    assert set(rows.values_list("student_id", flat=True)) == on_roster
    assert {tuple(r.kinds) for r in rows} == {("health", "pickup", "phone")}
    assert {r.role for r in rows} == {Role.TUTOR}
    assert rows.first().place == f"名单：{section.course.name} {section.name}"
    login(world.principal).get(url)
    principal = SensitiveAccess.objects.filter(user=world.principal)
    assert {tuple(r.kinds) for r in principal} == {("health", "pickup")}  # phones masked


def test_the_roster_download_is_logged_as_an_export(world, login, published):  # noqa: F811
    st, run = published
    section = _section_of(run, world.child)
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    client = login(world.coordinator)
    assert client.get(url + "?format=xlsx").status_code == 200
    row = SensitiveAccess.objects.get(student=world.child)
    assert (row.is_export, row.kinds, row.reason) == (True, ["health", "pickup"], "")
    assert row.place.startswith("名单表格：")
    assert client.post(url, {"full_phones": "1", "reason": "停课逐一电话通知"}).status_code == 200
    full = SensitiveAccess.objects.filter(student=world.child).order_by("-pk").first()
    assert full.kinds == ["health", "pickup", "phone", "full_phone_export"]
    assert full.reason == "停课逐一电话通知" and full.is_export


def test_the_roll_call_logs_the_children_whose_health_it_shows(world, login):
    from tests.enrollment.factories import ApplicationFactory

    term_around_today(world.term)
    ApplicationFactory(student=world.child, term=world.term, health_notes="哮喘")
    ApplicationFactory(student=world.other_child, term=world.term)
    made = lesson(world.term, timezone.localdate(), [world.child, world.other_child],
                  tutors=[world.tutor], title="书法")
    url = reverse("attendance:roll_call", args=[made.pk])
    assert login(world.tutor.user).get(url).status_code == 200
    rows = list(SensitiveAccess.objects.all())
    assert [(r.student_id, r.kinds, r.role, r.user_id) for r in rows] == [
        (world.child.pk, ["health"], Role.TUTOR, world.tutor.user_id)]
    assert rows[0].place.startswith("点名：书法")
    assert login(world.principal).get(url).status_code == 200
    assert SensitiveAccess.objects.count() == 1  # the principal sees no health markers


def test_the_dismissal_pages_log_the_pickup_lists_they_show(world, login):
    term_around_today(world.term)
    day = build_day(world, day=timezone.localdate())
    assert login(world.tutor.user).get(
        reverse("attendance:dismissal", args=[day.lesson.pk])).status_code == 200
    tutor_rows = {r.student_id: r.kinds for r in SensitiveAccess.objects.filter(
        user=world.tutor.user)}
    # The picked-up children still waiting (the child; the absent one is not in school).
    assert tutor_rows == {world.child.pk: ["pickup", "phone"]}
    assert login(world.principal).get(reverse("attendance:dismissal_campus")).status_code == 200
    assert not SensitiveAccess.objects.filter(user=world.principal).exists()  # no list shown
    assert login(world.coordinator).get(reverse("attendance:dismissal_campus")).status_code == 200
    office = {r.student_id: r.kinds for r in SensitiveAccess.objects.filter(
        user=world.coordinator)}
    assert office == {world.child.pk: ["pickup", "phone"]}


# ------------------------------------------------------------------ the principal's 访问记录


def test_the_access_log_page_gates(world, login, client):
    url = reverse("school:access_log")
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (world.coordinator, world.tutor.user, world.guardian.user, world.district_officer):
        assert login(user).get(url).status_code == 403, user


def test_the_principal_filters_the_log(world, login):
    _log(world, world.coordinator, [world.child], kinds=[Kind.PHONE, Kind.FULL_PHONE_EXPORT],
         export=True, reason="逐一电话通知", place="学生名册")
    _log(world, world.tutor.user, [world.other_child], role=Role.TUTOR)
    old = SensitiveAccess.objects.get(student=world.other_child)
    old.at = timezone.make_aware(dt.datetime(2024, 10, 8, 17, 0))
    old.save()
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    log_access(_request(), foreign, [world.foreign_student], kinds=[Kind.HEALTH], place="外校")
    client = login(world.principal)
    url = reverse("school:access_log")
    page = client.get(url).content.decode()
    assert "张小明" in page and "李华" in page and "孙主任" in page and "逐一电话通知" in page
    assert "外校" not in page  # another school's log
    assert "李华" not in client.get(url, {"student": "张小明"}).content.decode()
    assert "李华" in client.get(url, {"student": world.other_child.student_no}).content.decode()
    by_person = client.get(url, {"person": "赵"}).content.decode()
    assert "李华" in by_person and "张小明" not in by_person
    october = client.get(url, {"month": "2024-10"}).content.decode()
    assert "李华" in october and "张小明" not in october
    exports = client.get(url, {"export": "1"}).content.decode()
    assert "张小明" in exports and "李华" not in exports
    assert client.get(url, {"month": "x", "student": "\x00"}).status_code == 200


def test_the_access_log_page_costs_the_same_queries_for_5_and_60_rows(
        world, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.principal)
    url = reverse("school:access_log")
    client.get(url)
    counts = []
    for n in (5, 55):
        kids = [f.StudentFactory(school=world.school, homeroom=world.homeroom) for _ in range(n)]
        _log(world, world.coordinator, kids)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8


# ------------------------------------------------------------------ a family's page


def test_a_guardian_sees_who_viewed_their_own_children_only(world, login, client):
    _log(world, world.coordinator, [world.child], place="意向书详情")
    _log(world, world.tutor.user, [world.sibling], role=Role.TUTOR, place="点名：书法")
    _log(world, world.coordinator, [world.other_child], place="别人家的孩子")
    url = reverse("school:child_access", args=[world.child.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    family = login(world.guardian.user)
    page = family.get(url).content.decode()
    assert "孙老师（课后服务办公室）" in page and "意向书详情" in page
    assert "孙主任" not in page  # staff named by surname and role
    assert "别人家的孩子" not in page and "点名：书法" not in page
    sibling = family.get(reverse("school:child_access", args=[world.sibling.pk])).content.decode()
    assert "点名：书法" in sibling and "意向书详情" not in sibling
    assert family.get(reverse("school:child_access_first")).status_code == 200
    # Another family's child answers as if it did not exist; staff get 403.
    assert family.get(reverse("school:child_access", args=[world.other_child.pk])
                      ).status_code == 404
    assert login(world.tutor.user).get(url).status_code == 403
    assert login(world.principal).get(url).status_code == 403
