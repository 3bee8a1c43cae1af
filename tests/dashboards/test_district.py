"""The bureau's dashboard: its schools side by side from the aggregate tables, sorting, a
chart per measure, each school's page — and nothing about a child or a guardian reaches a
bureau account, whatever it asks for."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from afterschool.access import SESSION_SCHOOL_KEY
from afterschool.models import Guardian, Student
from dashboards import aggregates
from dashboards.models import MonthlySchoolStat
from tests import factories as f

from .conftest import NOVEMBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(world, month):
    """The world's school (with a week of roll calls), its neighbour, and a school of another
    district; the aggregates counted."""
    elsewhere = f.SchoolFactory(name="外县中学", code="elsewhere", district="另一个教育局")
    f.TermFactory(school=elsewhere)
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    return elsewhere


def secrets(*schools) -> list[str]:
    """Every child's and guardian's name, number and phone of these schools."""
    found = []
    for s in Student.objects.filter(school__in=schools):
        found += [s.name, s.student_no]
    for g in Guardian.objects.filter(school__in=schools):
        found += [g.name, g.phone]
    return [x for x in found if len(x) >= 2]


def test_only_bureau_accounts_get_in(client, login, world, district):
    assert client.get("/dashboards/district/").status_code == 302
    for user in (world.principal, world.coordinator, world.tutor.user, world.guardian.user):
        login(user)
        assert client.get("/dashboards/district/").status_code == 403
        assert client.get(f"/dashboards/district/schools/{world.school.pk}/").status_code == 403
    login(world.district_officer)
    assert client.get("/dashboards/district/?month=2024-11").status_code == 200


def test_the_schools_side_by_side_equal_their_monthly_rows(client, login, world, district):
    login(world.district_officer)
    page = client.get("/dashboards/district/?month=2024-11").content.decode()
    stat = MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)
    rate = round(100 * (stat.present + stat.late) / stat.expected, 1)
    assert world.school.name in page and world.other_school.name in page
    assert district.name not in page   # another district's school
    assert f'data-total="attendance">{rate}%' in page
    for key in ("participation", "attendance", "on_time", "staff", "findings"):
        assert f'id="chart-{key}"' in page
    # No school paid a subsidy this month: that measure says so instead of an empty chart.
    assert 'id="chart-subsidy"' not in page and "本月各校都没有这项数据" in page
    book = load_workbook(BytesIO(client.get("/dashboards/district/?month=2024-11&format=xlsx")
                                 .content))
    rows = {r[0].value: [c.value for c in r] for r in book["各校对比"].iter_rows(min_row=2)}
    assert rows[world.school.name][4] == f"{rate}%"
    assert rows[world.other_school.name][1] == "本月无统计" or rows[world.other_school.name][4]


def test_sorting_by_a_measure_and_by_name(client, login, world, district):
    third = f.SchoolFactory(name="莒县第六实验学校", code="jx6", district=world.school.district)
    MonthlySchoolStat.objects.create(school=third, month=NOVEMBER, students=100, applied=100,
                                     expected=10, present=10)
    login(world.district_officer)

    def order(query):
        page = client.get(f"/dashboards/district/?month=2024-11&{query}").content.decode()
        names = [s.name for s in (world.school, world.other_school, third)]
        return sorted(names, key=page.index)

    assert order("sort=attendance&order=desc")[0] == third.name
    assert order("sort=attendance&order=asc")[:2] == [world.school.name, third.name]
    assert order("sort=name&order=asc") == sorted(
        [world.school.name, world.other_school.name, third.name])
    # Unknown sorts and orders fall back, never fail.
    assert client.get("/dashboards/district/?sort=__class__&order=sideways").status_code == 200


def test_a_schools_own_page_without_names_or_drill_down(client, login, world, district):
    login(world.district_officer)
    page = client.get(f"/dashboards/district/schools/{world.school.pk}/?month=2024-11")
    text = page.content.decode()
    assert page.status_code == 200 and "出勤与点名（按周）" in text
    assert "/dashboards/grades/" not in text and "/dashboards/homerooms/" not in text
    assert 'id="chart-staff"' not in text
    for staff in world.school.staff.all():
        assert staff.name not in text
    assert client.get(f"/dashboards/district/schools/{district.pk}/").status_code == 404
    assert client.get("/dashboards/district/schools/99999999/").status_code == 404


def test_no_childs_or_guardians_details_reach_a_bureau_account(client, login, world, district):
    hidden = secrets(world.school, world.other_school)
    assert len(hidden) > 20
    login(world.district_officer)
    pages = ["/", "/dashboards/district/?month=2024-11",
             "/dashboards/district/?month=2024-11&sort=name",
             f"/dashboards/district/schools/{world.school.pk}/?month=2024-11",
             f"/dashboards/district/schools/{world.other_school.pk}/?month=2024-11",
             "/dashboards/plans/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert not [s for s in hidden if s in text], path
    book = client.get("/dashboards/district/?month=2024-11&format=xlsx")
    cells = " ".join(str(c.value) for ws in load_workbook(BytesIO(book.content))
                     for row in ws.iter_rows() for c in row if c.value is not None)
    assert not [s for s in hidden if s in cells]


@pytest.mark.parametrize("in_school", [False, True])
def test_a_bureau_account_asking_for_a_child_or_a_class_gets_nothing(client, login, world,
                                                                    district, in_school):
    login(world.district_officer)
    if in_school:
        # Even with a school of its district chosen in the session.
        session = client.session
        session[SESSION_SCHOOL_KEY] = world.school.pk
        session.save()
    child = world.child
    refused = [f"/attendance/students/{child.pk}/",
               f"/attendance/students/{child.pk}/2024-11-12/",
               f"/dashboards/homerooms/{world.homeroom.pk}/?month=2024-11",
               f"/dashboards/grades/{world.homeroom.grade_id}/?month=2024-11",
               "/dashboards/?month=2024-11", "/dashboards/capacity/",
               f"/homerooms/{world.homeroom.pk}/", "/surveys/",
               "/attendance/records/"]
    for path in refused:
        response = client.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert child.name not in response.content.decode(), path


def test_the_bureau_home_panel(client, login, world, district):
    login(world.district_officer)
    home = client.get("/").content.decode()
    assert "各校课后服务对比" in home and "学校方案审批" in home


@pytest.mark.parametrize("schools", [2, 12])
def test_the_comparison_takes_a_fixed_number_of_queries(client, login, world, district, schools,
                                                        django_assert_max_num_queries):
    for i in range(schools):
        school = f.SchoolFactory(name=f"第{i}中学", code=f"x{i}", district=world.school.district)
        MonthlySchoolStat.objects.create(school=school, month=NOVEMBER, students=50 + i,
                                         applied=40, expected=100, present=90 + i % 5)
    login(world.district_officer)
    with django_assert_max_num_queries(10):
        assert client.get("/dashboards/district/?month=2024-11").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/dashboards/district/schools/{world.school.pk}/?month=2024-11"
                          ).status_code == 200
