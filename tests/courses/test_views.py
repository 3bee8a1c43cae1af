"""The catalog's pages: who gets in, what a POST changes, what a phone shows, query counts."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from afterschool.models import Grade
from courses import exceptions
from courses.models import Course, Section
from enrollment.models import Application, Preference
from enrollment.selectors import courses_open_to
from tests import factories
from tests.enrollment.factories import ApplicationFactory

from .factories import CourseFactory, SectionFactory, period

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def plain(html: str) -> str:
    """The page's text without tags, spaces squeezed: what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def catalog(world):
    """Grade 7's catalog: a mixed course with a section, and a fixed item."""
    grade = world.homeroom.grade
    basketball = CourseFactory(term=world.term, name="篮球社", category="体育技能",
                               grades=[grade], instructor_subject="篮球",
                               instructor_kind=Course.InstructorKind.EXTERNAL,
                               description="运球、传球与对抗。")
    section = SectionFactory(course=basketball, name="1班", venue="操场", slots=[(2, 2)],
                             tutors=[world.external])
    reading = CourseFactory(term=world.term, name="阅读写字", category="阅读写字",
                            grades=[grade], is_fixed=True)
    SectionFactory(course=reading, name="全体", slots=[(1, 1)])
    return {"course": basketball, "section": section, "fixed": reading}


def users(world):
    return {"guardian": world.guardian.user, "tutor": world.tutor.user,
            "external": world.external.user, "coordinator": world.coordinator,
            "principal": world.principal, "foreign": world.foreign_coordinator,
            "homeroom_teacher": world.homeroom_teacher.user}


def urls(catalog):
    c, s = catalog["course"].pk, catalog["section"].pk
    return {
        "list": reverse("courses:catalog_list"),
        "create": reverse("courses:catalog_course_create"),
        "browse": reverse("courses:catalog_browse"),
        "staffing": reverse("courses:catalog_staffing"),
        "course": reverse("courses:catalog_course", args=[c]),
        "edit": reverse("courses:catalog_course_update", args=[c]),
        "section_create": reverse("courses:catalog_section_create", args=[c]),
        "generate": reverse("courses:catalog_section_generate", args=[c]),
        "section_edit": reverse("courses:catalog_section_update", args=[s]),
        "section_tutors": reverse("courses:catalog_section_tutors", args=[s]),
    }


POST_ONLY = ["catalog_course_active", "catalog_course_delete", "catalog_section_delete"]


@pytest.mark.parametrize("name", ["list", "create", "browse", "staffing", "course", "edit",
                                  "section_create", "generate", "section_edit",
                                  "section_tutors"])
def test_anonymous_is_sent_to_login(client, world, catalog, name):
    response = client.get(urls(catalog)[name])
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("who,name,status", [
    ("guardian", "list", 403), ("guardian", "create", 403), ("guardian", "edit", 403),
    ("guardian", "staffing", 403), ("guardian", "section_edit", 403),
    ("guardian", "course", 403), ("guardian", "browse", 200),
    ("tutor", "list", 403), ("tutor", "browse", 403), ("tutor", "edit", 403),
    ("tutor", "course", 404),      # a course they do not teach
    ("external", "course", 200),   # the one they do
    ("principal", "list", 200), ("principal", "course", 200), ("principal", "browse", 200),
    ("principal", "create", 403), ("principal", "staffing", 403),
    ("coordinator", "list", 200), ("coordinator", "create", 200), ("coordinator", "edit", 200),
    ("coordinator", "staffing", 200), ("coordinator", "section_create", 200),
    ("coordinator", "section_edit", 200), ("coordinator", "section_tutors", 200),
    ("coordinator", "generate", 200), ("coordinator", "browse", 200),
    # Another school's office: the rows are not theirs.
    ("foreign", "course", 404), ("foreign", "edit", 404), ("foreign", "section_edit", 404),
    ("foreign", "section_tutors", 404), ("foreign", "list", 200),
])
def test_role_gates_and_scoping(world, catalog, login, who, name, status):
    assert login(users(world)[who]).get(urls(catalog)[name]).status_code == status


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_actions_of_another_school_are_404(world, catalog, login, name):
    pk = catalog["section" if "section" in name else "course"].pk
    client = login(world.foreign_coordinator)
    assert client.post(reverse(f"courses:{name}", args=[pk])).status_code == 404
    assert Course.objects.filter(pk=catalog["course"].pk, is_active=True).exists()
    assert Section.objects.filter(pk=catalog["section"].pk).exists()


def test_a_guardian_cannot_delete_a_course(world, catalog, login):
    response = login(world.guardian.user).post(
        reverse("courses:catalog_course_delete", args=[catalog["course"].pk]))
    assert response.status_code == 403
    assert Course.objects.filter(pk=catalog["course"].pk).exists()


def test_a_foreign_term_is_404(world, login):
    foreign = factories.TermFactory(school=world.other_school)
    response = login(world.coordinator).get(reverse("courses:catalog_list"),
                                            {"term": foreign.pk})
    assert response.status_code == 404


# ------------------------------------------------------------------ courses


def course_post(world, **extra):
    data = {"name": "机器人", "category": "操作技巧", "description": "搭建与编程",
            "grades": [world.homeroom.grade.pk], "mode": "mixed", "min_size": "8",
            "instructor_subject": "", "instructor_kind": "any", "is_active": "on"}
    data.update(extra)
    return data


def test_office_creates_a_course_with_a_picture(world, login):
    client = login(world.coordinator)
    page = client.get(reverse("courses:catalog_course_create"))
    assert '<datalist id="category-options">' in page.content.decode()
    assert "培优辅潜" in page.content.decode()
    response = client.post(reverse("courses:catalog_course_create"),
                           course_post(world, picture=SimpleUploadedFile("robot.png", PNG)))
    course = Course.objects.get(name="机器人")
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:catalog_course", args=[course.pk])
    assert course.term == world.term and course.picture and course.min_size == 8


def test_school_defined_categories_join_the_list(world, login):
    CourseFactory(term=world.term, category="非遗传承")
    page = login(world.coordinator).get(reverse("courses:catalog_course_create"))
    assert '<option value="非遗传承">' in page.content.decode()


def test_a_picture_that_is_not_an_image_is_refused_in_chinese(world, login):
    response = login(world.coordinator).post(
        reverse("courses:catalog_course_create"),
        course_post(world, picture=SimpleUploadedFile("virus.exe", b"MZ\x90\x00")))
    assert response.status_code == 200
    assert exceptions.PICTURE_NOT_IMAGE in response.content.decode()
    assert not Course.objects.exists()


def test_office_edits_and_closes_a_course(world, catalog, login):
    client = login(world.coordinator)
    course = catalog["course"]
    response = client.post(reverse("courses:catalog_course_update", args=[course.pk]),
                           course_post(world, name="篮球社（提高班）", category="体育技能"))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.name == "篮球社（提高班）" and course.description == "搭建与编程"
    client.post(reverse("courses:catalog_course_active", args=[course.pk]), {"is_active": "0"})
    course.refresh_from_db()
    assert not course.is_active


def test_deleting_a_ranked_course_says_why(world, catalog, login):
    app = ApplicationFactory(student=world.child, term=world.term,
                             status=Application.Status.SUBMITTED)
    Preference.objects.create(application=app, rank=1, course=catalog["course"])
    client = login(world.coordinator)
    response = client.post(reverse("courses:catalog_course_delete",
                                   args=[catalog["course"].pk]), follow=True)
    refusal = exceptions.COURSE_HAS_PREFERENCES.format(course="篮球社", count=1)
    assert refusal in response.content.decode()
    assert Course.objects.filter(pk=catalog["course"].pk).exists()


# ------------------------------------------------------------------ sections


def slot(world, weekday, number):
    return f"{weekday}-{period(world.term, number).pk}"


def test_section_form_shows_a_weekday_by_period_grid(world, catalog, login):
    page = login(world.coordinator).get(
        reverse("courses:catalog_section_create", args=[catalog["course"].pk]))
    html = page.content.decode()
    for label in ["周一", "周四", "第1节", "第3节", "17:30–18:10"]:
        assert label in html
    assert html.count('type="checkbox" name="slots"') == 4 * 3


def test_office_adds_a_section(world, catalog, login):
    response = login(world.coordinator).post(
        reverse("courses:catalog_section_create", args=[catalog["course"].pk]),
        {"name": "2班", "capacity": "25", "venue": "篮球场",
         "slots": [slot(world, 4, 2), slot(world, 2, 3)], "tutors": [world.external.pk]})
    assert response.status_code == 302
    section = Section.objects.get(course=catalog["course"], name="2班")
    assert sorted(str(s) for s in section.slots.all()) == ["周二第3节", "周四第2节"]
    assert list(section.tutors.all()) == [world.external]


def test_a_clash_is_shown_on_the_form(world, catalog, login):
    other = CourseFactory(term=world.term, name="舞狮", grades=[world.homeroom.grade])
    response = login(world.coordinator).post(
        reverse("courses:catalog_section_create", args=[other.pk]),
        {"name": "1班", "capacity": "25", "venue": "操场", "slots": [slot(world, 2, 2)]})
    assert response.status_code == 200
    assert exceptions.VENUE_CLASH.format(venue="操场", slot="周二第2节", section="篮球社 · 1班") in \
        response.content.decode()
    assert not other.sections.exists()


def test_an_external_only_course_offers_only_external_tutors(world, catalog, login):
    client = login(world.coordinator)
    url = reverse("courses:catalog_section_update", args=[catalog["section"].pk])
    html = client.get(url).content.decode()
    assert "钱教练" in html and "赵老师" not in html
    response = client.post(url, {"name": "1班", "capacity": "25", "venue": "操场",
                                 "slots": [slot(world, 2, 2)], "tutors": [world.tutor.pk]})
    assert response.status_code == 200
    assert list(catalog["section"].tutors.all()) == [world.external]


def test_the_edit_form_shows_what_is_saved(world, catalog, login):
    html = login(world.coordinator).get(
        reverse("courses:catalog_section_update", args=[catalog["section"].pk])).content.decode()
    assert 'name="name" value="1班"' in html and 'value="操场"' in html
    assert f'value="{slot(world, 2, 2)}" checked' in html
    assert html.count(" checked") == 2    # the slot and the tutor


def test_tutors_of_the_courses_subject_come_first(world, login):
    course = CourseFactory(term=world.term, name="剪纸", grades=[world.homeroom.grade],
                           instructor_subject="美术")
    html = login(world.coordinator).get(
        reverse("courses:catalog_section_create", args=[course.pk])).content.decode()
    listed = html[html.index('id="tutor-list"'):]
    assert listed.index("赵老师（美术）") < listed.index("周校长")


def test_capacity_over_the_ratio_is_a_warning_not_an_error(world, catalog, login):
    response = login(world.coordinator).post(
        reverse("courses:catalog_section_update", args=[catalog["section"].pk]),
        {"name": "1班", "capacity": "40", "venue": "操场", "slots": [slot(world, 2, 2)],
         "tutors": [world.external.pk]}, follow=True)
    catalog["section"].refresh_from_db()
    assert catalog["section"].capacity == 40
    assert "建议配 2 名教师" in response.content.decode()


def test_office_changes_a_sections_tutor(world, catalog, login):
    client = login(world.coordinator)
    url = reverse("courses:catalog_section_tutors", args=[catalog["section"].pk])
    assert f'value="{world.external.pk}" id="id_tutors_0" checked' in client.get(url).content.decode()
    response = client.post(
        reverse("courses:catalog_section_tutors", args=[catalog["section"].pk]),
        {"tutors": []})
    assert response.status_code == 302
    assert not catalog["section"].tutors.exists()


def test_office_generates_one_section_per_homeroom(world, login):
    course = CourseFactory(term=world.term, name="作业辅导", category="作业辅导",
                           mode=Course.Mode.HOMEROOM, grades=[world.homeroom.grade])
    client = login(world.coordinator)
    page = client.get(reverse("courses:catalog_course", args=[course.pk]))
    assert "为每个班级生成教学班" in page.content.decode()
    response = client.post(reverse("courses:catalog_section_generate", args=[course.pk]),
                           {"slots": [slot(world, 1, 1), slot(world, 2, 1)]})
    assert response.status_code == 302
    assert {(s.homeroom, s.capacity) for s in course.sections.all()} == {
        (world.homeroom, 2), (world.other_homeroom, 1)}


def test_a_mixed_course_offers_no_generation(world, catalog, login):
    client = login(world.coordinator)
    page = client.get(reverse("courses:catalog_course", args=[catalog["course"].pk]))
    assert "为每个班级生成教学班" not in page.content.decode()
    response = client.post(reverse("courses:catalog_section_generate",
                                   args=[catalog["course"].pk]), {"slots": [slot(world, 1, 1)]})
    assert exceptions.NOT_PER_HOMEROOM in response.content.decode()


# ------------------------------------------------------------------ the office's list


def test_list_shows_sections_seats_tutors_and_preference_counts(world, catalog, login):
    course = catalog["course"]
    course.min_size = 5
    course.save()
    for rank, student, status in [(1, world.child, "submitted"), (2, world.other_child,
                                                                  "class_approved"),
                                  (1, world.sibling, "draft")]:
        app = ApplicationFactory(student=student, term=world.term, status=status)
        Preference.objects.create(application=app, rank=rank, course=course)
    html = login(world.coordinator).get(reverse("courses:catalog_list")).content.decode()
    assert "第一志愿 <strong>1</strong>" in html     # the draft does not count yet
    assert "全部志愿 <strong>2</strong>" in html
    assert "人数不足开班" in html
    assert "周二 第2节 17:30–18:10" in plain(html)
    assert "钱教练" in html and "名额 <strong>25</strong>" in html


def test_list_filters_by_category_and_grade(world, catalog, login):
    grade8 = factories.GradeFactory(school=world.school, number=8)
    CourseFactory(term=world.term, name="书法", category="艺术素养", grades=[grade8])
    client = login(world.coordinator)
    html = client.get(reverse("courses:catalog_list"), {"category": "艺术素养"}).content.decode()
    assert "书法" in html and "篮球社" not in html
    html = client.get(reverse("courses:catalog_list"), {"grade": grade8.pk}).content.decode()
    assert "书法" in html and "篮球社" not in html


def make_courses(world, n, start=0):
    """``n`` courses, each with a section (slot, venue, tutor) and a preference."""
    app = (Application.objects.filter(student=world.child).first()
           or ApplicationFactory(student=world.child, term=world.term, status="submitted"))
    for i in range(start, start + n):
        course = CourseFactory(term=world.term, name=f"社团{i}", grades=[world.homeroom.grade],
                               category=["艺术素养", "体育技能"][i % 2])
        SectionFactory(course=course, name="1班", slots=[(1 + i % 4, 2)], venue=f"教室{i}",
                       tutors=[factories.StaffFactory(school=world.school, name=f"老师{i}")])
        Preference.objects.create(application=app, rank=i + 1, course=course)


@pytest.mark.parametrize("name", ["courses:catalog_list", "courses:catalog_browse",
                                  "courses:catalog_staffing"])
def test_query_count_does_not_grow_with_courses(world, login, django_assert_max_num_queries,
                                                name):
    client = login(world.coordinator)
    make_courses(world, 10)
    with django_assert_max_num_queries(25) as few:
        assert client.get(reverse(name)).status_code == 200
    make_courses(world, 30, start=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(name))
    assert response.content.decode().count("社团3") >= 1


def test_course_page_query_count_does_not_grow_with_sections(world, catalog, login,
                                                              django_assert_max_num_queries):
    client = login(world.coordinator)
    url = reverse("courses:catalog_course", args=[catalog["course"].pk])
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for i in range(10):
        SectionFactory(course=catalog["course"], name=f"加{i}", slots=[(3, 3)],
                       tutors=[factories.StaffFactory(school=world.school, is_external=True)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# ------------------------------------------------------------------ staffing page


def test_staffing_proposes_then_the_office_applies(world, login):
    grade = world.homeroom.grade
    art = CourseFactory(term=world.term, name="剪纸", grades=[grade], instructor_subject="美术")
    ball = CourseFactory(term=world.term, name="篮球", grades=[grade],
                         instructor_kind=Course.InstructorKind.EXTERNAL,
                         instructor_subject="篮球")
    lion = CourseFactory(term=world.term, name="舞狮", grades=[grade], instructor_subject="舞狮")
    a = SectionFactory(course=art, slots=[(2, 2)])
    b = SectionFactory(course=ball, slots=[(2, 2)])
    SectionFactory(course=lion, slots=[(3, 2)])
    client = login(world.coordinator)
    url = reverse("courses:catalog_staffing")
    proposal = client.post(url).content.decode()
    assert f'value="{a.pk}:{world.tutor.pk}"' in proposal
    assert f'value="{b.pk}:{world.external.pk}"' in proposal
    assert "无可用的舞狮教师（周三第2节）：学校没有任教舞狮的教师" in proposal
    assert not a.tutors.exists()    # a proposal saves nothing
    response = client.post(f"{reverse('courses:catalog_staffing_apply')}?term={world.term.pk}",
                           {"add": [f"{a.pk}:{world.tutor.pk}", f"{b.pk}:{world.external.pk}"]})
    assert response.status_code == 302
    assert list(a.tutors.all()) == [world.tutor] and list(b.tutors.all()) == [world.external]
    page = client.get(url).content.decode()
    assert "1 个缺教师" in page


def test_a_staffing_proposal_is_a_read(world):
    from courses.selectors import staffing_proposal

    art = CourseFactory(term=world.term, name="剪纸", grades=[world.homeroom.grade],
                        instructor_subject="美术")
    section = SectionFactory(course=art, slots=[(2, 2)])
    found = staffing_proposal(world.term)
    assert [(row["section"], row["tutors"]) for row in found.proposal] == [
        (section, [world.tutor])]
    assert not found.unstaffed and not section.tutors.exists()
    tutor_row = next(row for row in found.loads if row["staff"] == world.tutor)
    assert (tutor_row["before"], tutor_row["load"]) == (0, 1)


def test_a_guardian_cannot_apply_staffing(world, catalog, login):
    response = login(world.guardian.user).post(
        reverse("courses:catalog_staffing_apply"),
        {"add": [f"{catalog['section'].pk}:{world.tutor.pk}"]})
    assert response.status_code == 403
    assert list(catalog["section"].tutors.all()) == [world.external]


# ------------------------------------------------------------------ guardians


def test_guardian_browses_the_catalog_of_their_childs_grade(world, catalog, login):
    grade8 = factories.GradeFactory(school=world.school, number=8)
    CourseFactory(term=world.term, name="八年级专属", grades=[grade8])
    CourseFactory(term=world.term, name="停开的课", grades=[world.homeroom.grade],
                  is_active=False)
    html = login(world.guardian.user).get(reverse("courses:catalog_browse")).content.decode()
    assert "篮球社" in html and "运球、传球与对抗。" in html
    assert "周二 第2节 17:30–18:10" in plain(html) and "操场" in html and "钱教练" in html
    assert "名额 25 人" in html and "体育技能" in html
    assert "八年级专属" not in html and "停开的课" not in html


def test_fixed_items_are_for_everyone_and_never_a_preference(world, catalog, login):
    html = login(world.guardian.user).get(reverse("courses:catalog_browse")).content.decode()
    fixed_at = html.index("阅读写字")
    assert "全员参加，无需报名" in html[fixed_at:fixed_at + 300]
    choices = courses_open_to(term=world.term, grade_id=world.homeroom.grade_id)
    assert catalog["fixed"] not in choices and catalog["course"] in choices


def test_guardian_picks_among_their_children(world, catalog, login):
    client = login(world.guardian.user)
    html = client.get(reverse("courses:catalog_browse"),
                      {"student": world.sibling.pk}).content.decode()
    assert "张小红" in html and "篮球社" in html


@pytest.mark.parametrize("student", ["other_child", "foreign_student"])
def test_a_student_who_is_not_theirs_is_404(world, catalog, login, student):
    response = login(world.guardian.user).get(reverse("courses:catalog_browse"),
                                              {"student": getattr(world, student).pk})
    assert response.status_code == 404


def test_per_homeroom_sections_show_only_the_childs_homeroom(world, login):
    course = CourseFactory(term=world.term, name="作业辅导", mode=Course.Mode.HOMEROOM,
                           grades=[world.homeroom.grade], is_fixed=True)
    SectionFactory(course=course, name="七年级1班", homeroom=world.homeroom, slots=[(1, 1)])
    SectionFactory(course=course, name="七年级2班", homeroom=world.other_homeroom,
                   slots=[(2, 1)])
    html = login(world.guardian.user).get(reverse("courses:catalog_browse"),
                                          {"student": world.child.pk}).content.decode()
    assert "七年级1班" in html and "七年级2班" not in html


def test_office_previews_a_grade(world, catalog, login):
    grade = Grade.objects.get(pk=world.homeroom.grade_id)
    html = login(world.coordinator).get(reverse("courses:catalog_browse"),
                                        {"grade": grade.pk}).content.decode()
    assert "篮球社" in html


# ------------------------------------------------------------------ home and navigation


def test_guardian_home_links_to_each_grades_catalog(world, catalog, login):
    html = login(world.guardian.user).get(reverse("school:home")).content.decode()
    assert "浏览课程目录" in html
    assert f'{reverse("courses:catalog_browse")}?student={world.child.pk}' in html
    assert f'href="{reverse("courses:catalog_browse")}"' in html     # the nav link


def test_office_home_shows_the_catalog_counts(world, catalog, login):
    html = login(world.coordinator).get(reverse("school:home")).content.decode()
    assert "开放课程" in html and reverse("courses:catalog_staffing") in html
