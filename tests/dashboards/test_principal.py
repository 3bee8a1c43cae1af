"""The principal's dashboard: the page's figures are the aggregates (and so the records), the
drill-down from grade to homeroom to children for those allowed, the month selector, the
.xlsx, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from dashboards import aggregates
from dashboards.models import MonthlySchoolStat
from tests import factories as f

from .conftest import NOVEMBER

pytestmark = pytest.mark.django_db
URL = "/dashboards/"


@pytest.fixture
def built(world, month):
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    return MonthlySchoolStat.objects.get(school=world.school, month=NOVEMBER)


def test_who_gets_in(client, login, world, built):
    assert client.get(URL).status_code == 302
    for user in (world.tutor.user, world.guardian.user, world.homeroom_teacher.user,
                 world.district_officer):
        login(user)
        assert client.get(f"{URL}?month=2024-11").status_code == 403, user
    for user in (world.principal, world.coordinator):
        login(user)
        assert client.get(f"{URL}?month=2024-11").status_code == 200


def test_the_page_shows_the_months_figures(client, login, world, built):
    login(world.principal)
    page = client.get(f"{URL}?month=2024-11").content.decode()
    rate = round(100 * (built.present + built.late) / built.expected, 1)
    assert f'data-figure="attendance">{rate}%' in page
    assert f"{built.applied} / {built.students} 名学生申请" in page
    assert f"{built.lessons_on_time} / {built.lessons_taken} 节" in page
    for chart in ("chart-participation", "chart-weeks", "chart-trend", "chart-staff",
                  "chart-courses"):
        assert f'data-chart="{chart}"' in page and f'id="{chart}"' in page
    assert "chart.umd.min.js" in page and "七年级" in page and "篮球" in page
    empty = client.get(f"{URL}?month=2024-07").content.decode()
    assert "还没有统计数据" in empty and "chart.umd.min.js" not in empty
    # A bad month is this month, not an error.
    assert client.get(f"{URL}?month=2024-13").status_code == 200


def test_drill_down_grade_homeroom_children(client, login, world, built):
    login(world.principal)
    grade = client.get(f"/dashboards/grades/{world.homeroom.grade_id}/?month=2024-11")
    assert grade.status_code == 200 and "七年级1班" in grade.content.decode()
    homeroom = client.get(f"/dashboards/homerooms/{world.homeroom.pk}/?month=2024-11")
    text = homeroom.content.decode()
    assert homeroom.status_code == 200 and world.child.name in text
    assert world.sibling.name not in text   # 张小红 is in 七年级2班
    # Another school's grade and homeroom are not found.
    foreign = f.HomeroomFactory(school=world.other_school, number=9)
    assert client.get(f"/dashboards/homerooms/{foreign.pk}/").status_code == 404
    assert client.get(f"/dashboards/grades/{foreign.grade_id}/").status_code == 404


def test_the_childrens_counts_add_up_to_the_homerooms(client, login, world, built):
    from afterschool.access import actor_for, students_visible_to
    from dashboards.models import MonthlyHomeroomStat
    from dashboards.selectors import homeroom_children

    rows = homeroom_children(world.homeroom, NOVEMBER,
                             students_visible_to(actor_for(world.principal, world.school)))
    stat = MonthlyHomeroomStat.objects.get(homeroom=world.homeroom, month=NOVEMBER)
    for name in ("expected", "present", "late", "leave", "absent", "missing"):
        assert sum(r[name] for r in rows) == getattr(stat, name), name


def test_the_xlsx_has_a_sheet_per_table(client, login, world, built):
    login(world.coordinator)
    response = client.get(f"{URL}?month=2024-11&format=xlsx")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["概况", "参与与出勤（班级）", "出勤（按周）", "趋势（按月）",
                               "教师工作量", "课程"]
    rows = [[c.value for c in r] for r in book["概况"].iter_rows()]
    rate = round(100 * (built.present + built.late) / built.expected, 1)
    assert ["出勤率", f"{rate}%"] == rows[3][:2]
    assert client.get(f"{URL}?month=2024-06&format=xlsx").status_code == 404


def test_refresh_counts_the_month_again(client, login, world, month):
    login(world.principal)
    MonthlySchoolStat.objects.all().delete()
    response = client.post("/dashboards/refresh/", {"month": "2024-11"})
    assert response.status_code == 302 and "month=2024-11" in response["Location"]
    assert MonthlySchoolStat.objects.filter(school=world.school, month=NOVEMBER).exists()


@pytest.mark.parametrize("extra_homerooms", [0, 6])
def test_the_page_takes_a_fixed_number_of_queries(client, login, world, built, extra_homerooms,
                                                  django_assert_max_num_queries):
    for i in range(extra_homerooms):
        homeroom = f.HomeroomFactory(school=world.school, grade=world.homeroom.grade,
                                     number=10 + i)
        for _ in range(5):
            f.StudentFactory(school=world.school, homeroom=homeroom)
    aggregates.rebuild(first=NOVEMBER, last=dt.date(2024, 11, 30))
    login(world.principal)
    with django_assert_max_num_queries(14):
        assert client.get(f"{URL}?month=2024-11").status_code == 200


def test_the_home_panel_shows_the_latest_month(client, login, world, built):
    login(world.principal)
    home = client.get("/").content.decode()
    rate = round(100 * (built.present + built.late) / built.expected, 1)
    assert "课后服务看板 · 2024年11月" in home and f"{rate}%" in home
    login(world.tutor.user)
    assert "课后服务看板 ·" not in client.get("/").content.decode()
