"""seed_demo: the shape of the demo school, a second run adds nothing, every printed login works."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from afterschool import access, demo
from afterschool.models import (
    Guardian,
    Homeroom,
    Period,
    Role,
    RoleAssignment,
    School,
    Staff,
    Student,
    StudentGuardian,
    Term,
    User,
)

pytestmark = pytest.mark.django_db

LOGIN_ROW = re.compile(r"^(1\d{10})\s+(\S+)\s+(\S+)")
PASSWORD_LINE = re.compile(r"密码均为 (\S+?)）")


def counts():
    return {model.__name__: model.objects.count() for model in (
        School, Term, Period, Homeroom, Student, Guardian, StudentGuardian, Staff, User,
        RoleAssignment)}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> tuple[str, list[tuple[str, str, str]]]:
    password = PASSWORD_LINE.search(output).group(1)
    rows = [m.groups() for line in output.splitlines() if (m := LOGIN_ROW.match(line))]
    return password, rows


def test_demo_school_is_shaped_like_the_reports():
    result = demo.build_demo()
    school = result["school"]
    students = Student.objects.filter(school=school)
    assert students.count() == 1096
    assert Homeroom.objects.filter(school=school).count() == 22
    assert not Homeroom.objects.filter(school=school, head_teacher__isnull=True).exists()
    sizes = set(Homeroom.objects.filter(school=school).annotate(n=Count("students"))
                .values_list("n", flat=True))
    assert sizes <= {49, 50}
    boarders = students.filter(is_boarder=True).count() / 1096
    assert 0.25 < boarders < 0.35

    staff = Staff.objects.filter(school=school)
    assert 65 <= staff.count() <= 75
    externals = staff.filter(is_external=True)
    assert 6 <= externals.count() <= 10
    subjects = " ".join(externals.values_list("subjects", flat=True))
    assert all(s in subjects for s in ("篮球", "舞狮", "萨克斯"))
    assert not staff.filter(subjects="").exists()

    # Siblings: some guardians have two children, under one phone number.
    with_two = Guardian.objects.filter(school=school).annotate(
        n=Count("student_links")).filter(n__gte=2)
    assert with_two.count() >= 10
    assert not students.filter(guardian_links__isnull=True).exists()
    names = list(students.values_list("name", flat=True))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
    assert len(set(names)) > 800  # realistic names, not 学生1, 学生2…

    term = result["term"]
    assert term.is_current and term.window_is_open()
    assert term.start_date.month == 9 and term.start_date.day == 9
    assert term.service_weekdays == [1, 2, 3, 4]
    assert [(p.start_time.strftime("%H:%M"), p.get_kind_display()) for p in term.periods.all()] \
        == [("16:40", "作业辅导"), ("17:30", "特色课程"), ("18:15", "特色课程")]
    assert "作业辅导" in term.service_content and "点名" in term.safety_text
    # The periods are listed from the term's periods; the text only adds what they do not say.
    assert "18:50" in term.schedule_text and "16:40" not in term.schedule_text

    roles = set(RoleAssignment.objects.filter(school=school).values_list("role", "title"))
    assert (Role.PRINCIPAL, "领导小组组长") in roles
    assert (Role.COORDINATOR, "领导小组副组长") in roles
    assert any(title.startswith("领导小组成员") for _, title in roles)
    assert any(role == Role.DUTY_TEACHER for role, _ in roles)

    other = result["other_school"]
    assert other.district == school.district
    assert 0 < Student.objects.filter(school=other).count() < 200
    officer = RoleAssignment.objects.get(role=Role.DISTRICT_OFFICER)
    assert officer.district == school.district and officer.school is None
    actor = access.actor_for(officer.user, None)
    assert set(access.schools_visible_to(actor)) == {school, other}


def test_seeding_twice_changes_nothing():
    seed()
    first = counts()
    term = Term.objects.get(school__code=demo.MAIN.code, is_current=True)
    seed()
    assert counts() == first
    assert Term.objects.get(school__code=demo.MAIN.code, is_current=True) == term


def test_every_printed_login_signs_in_and_sees_home(client):
    output = seed()
    password, rows = printed_logins(output)
    assert password == demo.DEMO_PASSWORD
    assert {role for _, role, _ in rows} == {r.label for r in Role}
    for phone, role, name in rows:
        client.logout()
        response = client.post(reverse("login"), {"username": phone, "password": password})
        assert response.status_code == 302, (role, phone)
        assert response["Location"] == reverse("school:home"), role
        home = client.get(reverse("school:home"))
        assert home.status_code == 200, role
        assert name in home.content.decode(), role
        # The printed role is one this person really holds where they land.
        actor = home.context["actor"]
        assert role in actor.role_labels, (role, actor.role_labels)


def test_a_login_whose_password_was_changed_is_reset_by_the_next_run():
    seed()
    user = User.objects.get(phone=demo.COORDINATOR.phone)
    user.set_password("something-else-1")
    user.save()
    seed()
    user.refresh_from_db()
    assert user.check_password(demo.DEMO_PASSWORD)


def test_registered_steps_run_after_the_core_and_may_add_logins(monkeypatch):
    seen = []

    def step(result, stdout=None):
        seen.append(result["school"].code)
        result["logins"].append(demo.Login("19900000099", "测试", "步骤", "由步骤加入"))

    monkeypatch.setattr(demo, "_steps", [])
    demo.register_demo_step(step)
    demo.register_demo_step(step)  # registering twice runs once
    output = seed()
    assert seen == [demo.MAIN.code]
    assert "19900000099" in output


@pytest.mark.django_db(False)
def test_readme_shows_the_table_seed_demo_prints():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = demo.format_logins({"logins": demo.LOGINS, "password": demo.DEMO_PASSWORD})
    assert table in readme
