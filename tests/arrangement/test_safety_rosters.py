"""Rosters with each child's safety details (how they go home, who fetches them, health), for
the office and the tutor of that section or group only; 学籍号 for the office only."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from afterschool.access import actor_for
from arrangement import services
from arrangement.selectors import homework_group_safety_roster, way_home
from enrollment.models import Application, PickupPerson
from tests import factories

from .factories import run_now, small_term


@pytest.fixture
def published(world, django_capture_on_commit_callbacks):
    office = actor_for(world.coordinator, world.school)
    st = small_term(world, n_students=8, capacity=3)
    apps = {a.student_id: a for a in st.applications}
    child = apps[world.child.pk]
    child.dismissal, child.allergies, child.health_notes = "picked_up", "花生", "哮喘，随身带喷雾"
    child.contact_phone = "13812345678"
    child.save()
    PickupPerson.objects.create(application=child, name="张爷爷", relation="爷爷",
                                phone="13900139000")
    other = apps[world.other_child.pk]
    other.dismissal, other.alone_consent, other.contact_phone = "alone", True, "13700001111"
    other.save()
    sibling = apps[world.sibling.pk]
    sibling.dismissal, sibling.bus_route = "bus", "2号线"
    sibling.save()
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    with django_capture_on_commit_callbacks(execute=True):
        services.arrangement_publish(arrangement=run, actor=office)
    run.refresh_from_db()
    return st, run


def _section_of(run, student):
    return run.placements.filter(student=student).select_related("section").first().section


def test_way_home_words(world):
    app = Application(dismissal="bus", bus_route="2号线")
    assert way_home(app, world.child) == "校车（2号线）"
    assert way_home(Application(dismissal="alone"), world.child) == "自行回家"
    assert way_home(Application(dismissal="picked_up"), world.child) == "家长接送"
    world.child.is_boarder = True
    assert way_home(app, world.child) == "住校"
    world.child.is_boarder = False
    assert way_home(None, world.child) == "未填写"


def test_section_tutor_sees_safety_details_but_not_the_student_number(world, login, published):
    st, run = published
    section = _section_of(run, world.child)
    tutor_staff = section.tutors.first()
    if tutor_staff is None:
        section.tutors.add(world.tutor)
        tutor_staff = world.tutor
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    page = login(tutor_staff.user).get(url).content.decode()
    assert "张爷爷（爷爷）13900139000" in page and "花生" in page and "哮喘" in page
    assert "13812345678" in page and "家长接送" in page
    assert "学籍号" not in page and world.child.student_no not in page

    office = login(world.coordinator).get(url).content.decode()
    assert "学籍号" in office and world.child.student_no in office and "张爷爷" in office


def test_section_roster_workbook(world, login, published):
    st, run = published
    section = _section_of(run, world.child)
    section.tutors.add(world.tutor)
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk)) + "?format=xlsx"
    for user, has_no in ((world.tutor.user, False), (world.coordinator, True)):
        response = login(user).get(url)
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        rows = list(load_workbook(io.BytesIO(response.content)).active.values)
        header = rows[1]
        assert ("学籍号" in header) is has_no
        assert {"离校方式", "接送人及电话", "紧急联系电话", "过敏史", "健康情况"} <= set(header)
        mine = next(r for r in rows[2:] if r[1] == world.child.name)
        # Masked for everyone unless the office asks with a reason (tests/afterschool/
        # test_masking_exports.py).
        assert mine[header.index("接送人及电话")] == "张爷爷（爷爷）139****9000"
        assert mine[header.index("过敏史")] == "花生"


def test_other_tutors_and_families_do_not_get_the_roster(world, login, published):
    st, run = published
    section = _section_of(run, world.child)
    stranger = factories.StaffFactory(school=world.school, name="别的老师")
    from afterschool.models import Role
    factories.grant(stranger.user, Role.TUTOR, world.school)
    url = reverse("arrangement:section_roster", args=(run.pk, section.pk))
    assert login(stranger.user).get(url).status_code == 404
    assert login(world.guardian.user).get(url).status_code == 403
    # A family's own schedule never shows another family's pickup persons or health.
    schedule = login(world.other_guardian.user).get(
        reverse("arrangement:my_schedule")).content.decode()
    assert "张爷爷" not in schedule and "花生" not in schedule


def test_homework_group_roster(world, login, published):
    st, run = published
    group = run.homework_groups.filter(members__student=world.child).first()
    assert group is not None
    group.tutor = world.tutor
    group.save(update_fields=["tutor"])
    url = reverse("arrangement:homework_roster", args=(run.pk, group.pk))
    page = login(world.tutor.user).get(url).content.decode()
    assert "张爷爷（爷爷）13900139000" in page and "花生" in page
    assert world.child.student_no not in page
    assert login(world.tutor.user).get(url + "?format=xlsx").status_code == 200
    assert world.child.student_no in login(world.coordinator).get(url).content.decode()
    # Not the group's tutor: as if it did not exist.
    assert login(world.external.user).get(url).status_code == 404
    assert login(world.guardian.user).get(url).status_code in (403, 404)
    # A child who left yesterday is no longer on it.
    app = Application.objects.get(term=st.term, student=world.child)
    app.status, app.withdrawn_on, app.withdraw_reason = "withdrawn", app.created_at.date(), "转学"
    app.save()
    names = [row.student.name for row in homework_group_safety_roster(group)]
    assert world.child.name not in names


@pytest.mark.parametrize("n", [8, 40])
def test_homework_roster_queries_do_not_grow(world, login, n, django_capture_on_commit_callbacks,
                                             django_assert_max_num_queries):
    """The same ceilings at 8 and at 40 children: no query per child or per pickup person."""
    office = actor_for(world.coordinator, world.school)
    st = small_term(world, n_students=n, capacity=n)
    for app in st.applications:
        PickupPerson.objects.create(application=app, name="家长", relation="母亲",
                                    phone="13900000000")
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=1)
    group = run.homework_groups.order_by("-pk").first()
    client = login(world.coordinator)
    url = reverse("arrangement:homework_roster", args=(run.pk, group.pk))
    client.get(url)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    section = st.courses["basketball"].sections.get()
    with django_assert_max_num_queries(17):
        assert client.get(reverse("arrangement:section_roster",
                                  args=(run.pk, section.pk))).status_code == 200


def test_student_list_of_a_homeroom_teacher_who_tutors_is_their_class_only(
        world, login, published):
    st, run = published
    teacher = world.homeroom_teacher
    from afterschool.models import Role
    factories.grant(teacher.user, Role.TUTOR, world.school)
    outsider = run.placements.exclude(student__homeroom=world.homeroom).first()
    outsider.section.tutors.add(teacher)
    page = login(teacher.user).get(reverse("school:student_list")).content.decode()
    assert world.child.name in page
    assert outsider.student.name not in page
