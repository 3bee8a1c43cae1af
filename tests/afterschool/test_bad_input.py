"""The findings of issue 7 one by one: bad ids answer 404 (not 500), ``next=`` stays on the
site, and free text has a length limit with a Chinese message."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse

from afterschool.access import actor_for
from afterschool.params import MAX_ID, parse_id, safe_next, text_param
from arrangement.models import HomeroomModePeriod
from courses.forms import CourseForm
from enrollment.forms import parse_selected
from enrollment.models import Application
from tests.arrangement.factories import run_now, small_term
from tests.courses.factories import SectionFactory
from tests.enrollment.factories import ApplicationFactory

HUGE = "99999999999999999999999"

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ the helpers


@pytest.mark.parametrize("value,expected", [
    ("12", 12), (" 7 ", 7), ("0", None), ("-1", None), ("abc", None), ("", None), (None, None),
    (HUGE, None), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("１２", None), ("1e3", None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("target,kept", [
    ("/enrollment/review/?page=2", True), ("", False), ("abc", False), (HUGE, False),
    ("//evil.example/", False), ("/\\evil.example/", False), ("https://evil.example/", False),
    ("javascript:alert(1)", False), ("/ok\x00", False), ("/ok\nLocation: x", False),
    ("http://testserver/enrollment/", False),
])
def test_safe_next_keeps_only_paths_of_this_site(target, kept):
    request = RequestFactory().get("/")
    assert safe_next(request, target, "/home/") == (target if kept else "/home/")


def test_text_param_drops_nul_and_bounds_the_length():
    assert text_param(" 张\x00三 ") == "张三"
    assert len(text_param("字" * 10_000)) == 100
    assert text_param(None) == ""


def test_bulk_selection_ignores_what_is_not_an_id():
    assert parse_selected(["5:2", f"{HUGE}:1", "6:abc", "abc:1", f"7:{HUGE}", "-1:1"]) == {5: 2}


# ------------------------------------------------------------------ the pages of the findings


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.mark.parametrize("term", ["abc", HUGE, "-1", "999999"])
def test_arrangement_list_with_a_bad_term_is_not_found(world, login, term):
    response = login(world.coordinator).get(reverse("arrangement:list"), {"term": term})
    assert response.status_code == 404


def test_not_found_and_forbidden_pages_are_in_chinese(world, login, client):
    response = login(world.coordinator).get(reverse("arrangement:list"), {"term": "abc"})
    assert "找不到您要的页面或记录" in response.content.decode()
    response = login(world.guardian.user).get(reverse("arrangement:list"))
    assert response.status_code == 403 and "没有权限" in response.content.decode()
    client.logout()
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "找不到您要的页面或记录" in response.content.decode()


@pytest.mark.parametrize("term", ["abc", "", HUGE])
def test_starting_an_arrangement_for_a_bad_term_is_not_found(world, login, term):
    response = login(world.coordinator).post(reverse("arrangement:start"),
                                             {"term": term, "mechanism": "exact"})
    assert response.status_code == 404


@pytest.mark.parametrize("param", ["grade", "homeroom"])
def test_review_queue_ignores_a_filter_too_big_to_be_an_id(world, login, param):
    response = login(world.coordinator).get(reverse("enrollment:review"), {param: HUGE})
    assert response.status_code == 200
    assert response.context[param] == ""


def test_review_queue_still_filters_by_a_good_grade(world, login):
    grade = world.homeroom.grade
    response = login(world.coordinator).get(reverse("enrollment:review"), {"grade": grade.pk})
    assert response.status_code == 200 and response.context["grade"] == str(grade.pk)


def test_section_tutors_with_a_huge_tutor_id_is_a_form_error(world, login):
    st = small_term(world)
    section = st.courses["calligraphy"].sections.get()
    response = login(world.coordinator).post(
        reverse("courses:catalog_section_tutors", args=[section.pk]), {"tutors": [HUGE]})
    assert response.status_code == 200
    assert response.context["form"].errors["tutors"]


def test_course_grades_with_a_huge_id_is_a_form_error(world):
    form = CourseForm({"name": "篮球", "category": "体育技能", "grades": [HUGE], "mode": "mixed",
                       "min_size": 0}, term=world.term)
    assert not form.is_valid() and "grades" in form.errors


@pytest.mark.parametrize("target", ["abc", "//evil.example/", "https://evil.example/x"])
def test_section_tutors_next_is_a_path_of_this_site_or_the_course(world, login, target):
    section = SectionFactory(course__term=world.term)
    url = reverse("courses:catalog_section_tutors", args=[section.pk])
    response = login(world.coordinator).post(url, {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:catalog_course", args=[section.course_id])


def test_over_https_a_next_back_to_http_is_not_followed(world, login):
    section = SectionFactory(course__term=world.term)
    url = reverse("courses:catalog_section_tutors", args=[section.pk])
    response = login(world.coordinator).post(url, {"next": "http://testserver/courses/catalog/"},
                                             secure=True)
    assert response["Location"] == reverse("courses:catalog_course", args=[section.course_id])


@pytest.mark.parametrize("target", ["abc", "//evil.example/", HUGE])
def test_bulk_approve_next_is_a_path_of_this_site_or_the_queue(world, login, target):
    response = login(world.coordinator).post(reverse("enrollment:bulk_approve"),
                                             {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:review")


# ------------------------------------------------------------------ free text


def test_health_notes_longer_than_500_characters_are_refused(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    data = {
        "revision": draft.revision, "participates": "yes", "weekdays": ["1", "2"],
        "dismissal": "picked_up", "contact_phone": "13800138000", "health_notes": "哮" * 501,
        "allergies": "", "bus_route": "", "pickup-TOTAL_FORMS": "1",
        "pickup-INITIAL_FORMS": "0", "pickup-0-name": "张爷爷", "pickup-0-relation": "爷爷",
        "pickup-0-phone": "13900139000", "action": "save",
    }
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["health_notes"] == ["最多 500 个字，现在有 501 个，请删减。"]
    draft.refresh_from_db()
    assert draft.health_notes == ""
    data["health_notes"] = "哮" * 500
    assert client.post(reverse("enrollment:edit", args=[draft.pk]), data).status_code == 302
    draft.refresh_from_db()
    assert len(draft.health_notes) == 500


def test_five_megabytes_of_health_notes_are_refused(world, login):
    draft = ApplicationFactory(student=world.child, term=world.term)
    response = login(world.guardian.user).post(
        reverse("enrollment:edit", args=[draft.pk]),
        {"revision": draft.revision, "health_notes": "x" * (5 * 1024 * 1024), "action": "save",
         "pickup-TOTAL_FORMS": "0", "pickup-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert "health_notes" in response.context["form"].errors
    assert Application.objects.get(pk=draft.pk).health_notes == ""


def test_a_review_comment_is_bounded(world, login):
    app = ApplicationFactory(student=world.child, term=world.term,
                             status=Application.Status.SUBMITTED)
    response = login(world.homeroom_teacher.user).post(
        reverse("enrollment:review_one", args=[app.pk]),
        {"to_status": Application.Status.CLASS_REJECTED, "comment": "不" * 501,
         "status": app.status, "revision": app.revision})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED


def test_a_course_description_is_bounded(world):
    form = CourseForm({"name": "篮球", "category": "体育技能", "mode": "mixed", "min_size": 0,
                       "grades": [world.homeroom.grade.pk], "description": "简" * 1001},
                      term=world.term)
    assert not form.is_valid()
    assert form.errors["description"] == ["最多 1000 个字，现在有 1001 个，请删减。"]


def test_removing_a_student_with_a_too_long_comment_changes_nothing(
        world, login, office, django_capture_on_commit_callbacks):
    st = small_term(world, n_students=8, capacity=2)
    run = run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)
    placement = run.placements.first()
    response = login(world.coordinator).post(
        reverse("arrangement:remove", args=[run.pk, placement.pk]),
        {f"r{placement.pk}-comment": "长" * 501}, follow=True)
    assert run.placements.filter(pk=placement.pk).exists()
    assert "说明：最多 500 个字" in response.content.decode()


def test_a_homeroom_mode_reason_is_bounded(world, login, office):
    term = world.term
    response = login(world.coordinator).post(reverse("arrangement:homeroom_mode"), {
        "start_date": term.start_date.isoformat(),
        "end_date": (term.start_date + dt.timedelta(days=3)).isoformat(), "reason": "流" * 201})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not HomeroomModePeriod.objects.exists()
