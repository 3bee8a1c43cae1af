"""Dismissal pages: who gets in, what each tap writes, refusals as 400 with the message, and
query counts that do not grow with the children."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from afterschool.models import Notice
from attendance import exceptions as errors
from attendance.models import Dismissal, DutyHandover, PickupChange, PickupCode
from tests import factories as f

from .leave_builders import at, lesson, mark, term_around_today
from .test_dismissal_services import D, _form, build_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_day(world):
    term_around_today(world.term)
    return build_day(world, day=timezone.localdate())


def _url(d):
    return reverse("attendance:dismissal", args=[d.lesson.pk])


def test_anonymous_is_sent_to_login(client, today_day):
    for url in (_url(today_day), reverse("attendance:dismissal_campus"),
                reverse("attendance:pickup_scan")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_tutor_sees_the_children_grouped_by_way_home(login, world, today_day):
    page = login(world.tutor.user).get(_url(today_day))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("家长接送", "自行回家", "乘坐校车（2 号线）", "寄宿生（交宿舍）", "张小明", "王小刚",
                 "护送出校门（1 人）", "送上校车（2 人）", "交宿舍（1 人）", "不在放学名单",
                 "另有 1 名学生还有后续课程"):
        assert text in html, text
    assert "周小丽" not in html.split("不在放学名单")[0]


def test_wrong_people_get_404_or_403(login, world, today_day):
    assert login(world.homeroom_teacher.user).get(_url(today_day)).status_code == 200  # homeroom
    assert login(world.guardian.user).get(_url(today_day)).status_code == 404
    assert login(world.foreign_coordinator).get(_url(today_day)).status_code == 404
    assert login(world.guardian.user).get(
        reverse("attendance:dismissal_campus")).status_code == 403
    assert login(world.tutor.user).get(reverse("attendance:dismissal_campus")).status_code == 403
    assert login(world.tutor.user).get(
        reverse("attendance:pickup", args=[world.child.pk])).status_code == 403
    assert login(world.other_guardian.user).get(
        reverse("attendance:pickup", args=[world.child.pk])).status_code == 404


def test_a_homeroom_teacher_may_look_but_not_release(login, world, today_day):
    client = login(world.homeroom_teacher.user)
    response = client.post(_url(today_day), {"action": "group", "way": "alone",
                                             "students": [today_day.alone.pk]})
    assert response.status_code == 400
    assert errors.DISMISSAL_NOT_YOURS.format(lesson="作业辅导（七年级1班）") in \
        response.content.decode()
    assert not Dismissal.objects.exists()


def test_group_tap_and_code_release_through_the_page(login, world, today_day):
    tutor = login(world.tutor.user)
    response = tutor.post(_url(today_day), {"action": "group", "way": "bus", "route": "2 号线",
                                            "students": [c.pk for c in today_day.bus]})
    assert response.status_code == 302
    assert Dismissal.objects.filter(method="bus").count() == 2
    family = login(world.guardian.user)
    family.post(reverse("attendance:pickup", args=[world.child.pk]),
                {"action": "code", "person": f"g{world.guardian.pk}"})
    code = PickupCode.objects.get(student=world.child)
    page = family.get(reverse("attendance:pickup", args=[world.child.pk])).content.decode()
    assert code.code in page and "<svg" in page and "接送人：<b>王丽（母亲）</b>" in page
    tutor = login(world.tutor.user)
    wrong = "000000" if code.code != "000000" else "111111"
    response = tutor.post(_url(today_day), {"action": "code", "student": world.child.pk,
                                            "code": wrong})
    assert response.status_code == 400
    assert errors.PICKUP_CODE_WRONG.format(code=wrong, left=4) in response.content.decode()
    response = tutor.post(_url(today_day), {"action": "code", "student": world.child.pk,
                                            "code": code.code})
    assert response.status_code == 302
    release = Dismissal.objects.get(student=world.child)
    assert release.via == "code"
    family = login(world.guardian.user)
    home = family.get("/").content.decode()
    hhmm = f"{timezone.localtime(release.released_at):%H:%M}"
    assert f"放学：{hhmm} 已由 王丽（母亲）接走" in home
    assert Notice.objects.filter(user=world.guardian.user, title__contains="已放学").exists()


def test_the_scan_opens_the_childs_lesson_with_the_code(login, world, today_day):
    family = login(world.guardian.user)
    family.post(reverse("attendance:pickup", args=[world.child.pk]),
                {"action": "code", "person": f"g{world.guardian.pk}"})
    code = PickupCode.objects.get(student=world.child).code
    tutor = login(world.tutor.user)
    response = tutor.get(reverse("attendance:pickup_scan"), {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith(_url(today_day) + f"?student={world.child.pk}")
    duty = login(world.duty_teacher.user)
    response = duty.get(reverse("attendance:pickup_scan"), {"code": code})
    assert response["Location"].startswith(reverse("attendance:dismissal_campus"))
    response = duty.get(reverse("attendance:pickup_scan"), {"code": "12"})
    assert response.status_code == 400


def test_unlisted_then_duty_confirms_and_the_day_closes(login, world, today_day):
    tutor = login(world.tutor.user)
    tutor.post(_url(today_day), {"action": "unlisted", "student": world.child.pk,
                                 "name": "刘芳", "relation": "姑姑", "phone": "13905391234"})
    assert DutyHandover.objects.get().reason == "unlisted"
    for way, ids in (("alone", [today_day.alone.pk]), ("dormitory", [today_day.boarder.pk])):
        tutor.post(_url(today_day), {"action": "group", "way": way, "students": ids})
    tutor.post(_url(today_day), {"action": "group", "way": "bus", "route": "2 号线",
                                 "students": [c.pk for c in today_day.bus]})
    duty = login(world.duty_teacher.user)
    page = duty.get(reverse("attendance:dismissal_campus")).content.decode()
    assert "张小明" in page and "核实无误，交给 刘芳" in page and "周小丽" in page
    response = duty.post(reverse("attendance:dismissal_campus"),
                         {"how": "confirm", "student": world.child.pk, "note": ""})
    assert response.status_code == 400 and errors.DISMISSAL_CONFIRM_NOTE in \
        response.content.decode()
    duty.post(reverse("attendance:dismissal_campus"),
              {"how": "confirm", "student": world.child.pk, "note": "已电话联系母亲确认"})
    f.link_guardian(today_day.stays, f.GuardianFactory(school=world.school, name="周强"), "父亲")
    person = f"g{today_day.stays.guardian_links.get().guardian_id}"
    duty.post(reverse("attendance:dismissal_campus"),
              {"how": "person", "student": today_day.stays.pk, "person": person})
    page = duty.get(reverse("attendance:dismissal_campus")).content.decode()
    assert "全员离校" in page
    office = login(world.coordinator).get("/").content.decode()
    assert "全员离校" in office


def test_the_family_changes_the_day_from_the_phone(login, world, today_day):
    family = login(world.guardian.user)
    url = reverse("attendance:pickup", args=[world.child.pk])
    response = family.post(url, {"action": "add", "name": "刘芳", "relation": "外婆",
                                 "phone": "1390539"})
    assert response.status_code == 400
    assert errors.PICKUP_PHONE_INVALID.format(phone="1390539") in response.content.decode()
    family.post(url, {"action": "add", "name": "刘芳", "relation": "外婆",
                      "phone": "13905390000"})
    change = PickupChange.objects.get()
    page = login(world.tutor.user).get(_url(today_day)).content.decode()
    assert "今天由 刘芳（外婆） 接" in page
    family = login(world.guardian.user)
    family.post(url, {"action": "remove", "change": change.pk})
    assert not PickupChange.objects.exists()


def _add_children(world, big, n, start):
    from attendance.models import AttendanceRecord

    kids = [f.StudentFactory(school=world.school, homeroom=world.homeroom, name=f"学生{i}")
            for i in range(start, start + n)]
    for i, kid in enumerate(kids, start=start):
        way = (D.PICKED_UP, D.ALONE, D.BUS)[i % 3]
        _form(world, kid, way, bus_route=f"{i % 2 + 1} 号线" if way == D.BUS else "")
        f.link_guardian(kid, f.GuardianFactory(school=world.school))
    AttendanceRecord.objects.bulk_create([AttendanceRecord(lesson=big, student=k) for k in kids])
    for kid in kids:
        mark(big, kid, "present", by=world.tutor.user, when=at(timezone.localdate(), 16, 42))


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dismissal_pages_cost_the_same_queries_at_two_sizes(login, world,
                                                            django_assert_max_num_queries):
    term_around_today(world.term)
    big = lesson(world.term, timezone.localdate(), [], tutors=[world.tutor], title="大课")
    _add_children(world, big, 3, 0)
    tutor_url = reverse("attendance:dismissal", args=[big.pk])
    campus_url = reverse("attendance:dismissal_campus")
    counts = []
    # 17: 16 for the page and 1 for the access log of the pickup persons and phones it shows
    # (issue 15: one INSERT for all its children, afterschool/audit.py).
    for extra in (0, 27):
        _add_children(world, big, extra, 3)
        tutor = login(world.tutor.user)
        tutor.get(tutor_url)  # the first request stores the school in the session
        with django_assert_max_num_queries(17):
            small_tutor = _count(tutor, tutor_url)
        duty = login(world.duty_teacher.user)
        duty.get(campus_url)
        with django_assert_max_num_queries(17):
            small_duty = _count(duty, campus_url)
        counts.append((small_tutor, small_duty))
    assert counts[0] == counts[1], counts
