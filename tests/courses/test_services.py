"""The catalog's rules, through its services: courses, sections, clashes, staffing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from afterschool.access import actor_for
from afterschool.models import Grade, Homeroom, Period
from courses import exceptions, services
from courses.models import Course, Section
from enrollment.models import Application, Preference
from tests import factories
from tests.enrollment.factories import ApplicationFactory

from .factories import CourseFactory, SectionFactory, period

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded pictures go to a temporary folder, never the working tree."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def office(world):
    return actor_for(world.coordinator, world.school)


@pytest.fixture
def grade(world):
    return world.homeroom.grade


def course(world, **kw):
    kw.setdefault("grades", [world.homeroom.grade])
    return CourseFactory(term=world.term, **kw)


def prefer(world, course, rank=1, student=None, status=Application.Status.SUBMITTED):
    app = ApplicationFactory(student=student or world.child, term=world.term, status=status)
    return Preference.objects.create(application=app, rank=rank, course=course)


# ------------------------------------------------------------------ courses


def test_office_creates_a_course(world, office, grade):
    created = services.course_create(actor=office, term=world.term, name=" 篮球社 ", category="体育技能",
                                     grades=[grade], instructor_subject="篮球",
                                     instructor_kind=Course.InstructorKind.EXTERNAL, min_size=10)
    created.refresh_from_db()
    assert created.name == "篮球社" and created.school == world.school
    assert list(created.grades.all()) == [grade]


@pytest.mark.parametrize("who", ["guardian", "tutor", "principal"])
def test_only_the_office_writes_the_catalog(world, grade, who):
    user = {"guardian": world.guardian.user, "tutor": world.tutor.user,
            "principal": world.principal}[who]
    with pytest.raises(PermissionDenied):
        services.course_create(actor=actor_for(user, world.school), term=world.term, name="x",
                               category="艺术素养", grades=[grade])


def test_a_course_is_opened_in_ones_own_school_for_ones_own_grades(world, office, grade):
    foreign_term = factories.TermFactory(school=world.other_school)
    with pytest.raises(exceptions.CatalogError, match=exceptions.COURSE_WRONG_TERM):
        services.course_create(actor=office, term=foreign_term, name="x", category="艺术素养",
                               grades=[])
    foreign_grade = factories.GradeFactory(school=world.other_school, number=8)
    with pytest.raises(exceptions.CatalogError, match=exceptions.GRADE_NOT_IN_SCHOOL):
        services.course_create(actor=office, term=world.term, name="x", category="艺术素养",
                               grades=[foreign_grade])


def test_one_name_per_term(world, office, grade):
    course(world, name="剪纸")
    with pytest.raises(ValidationError):
        services.course_create(actor=office, term=world.term, name="剪纸", category="艺术素养",
                               grades=[grade])


@pytest.mark.parametrize("name,content,message", [
    ("photo.png", PNG, None),
    ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, None),
    ("notes.pdf", b"%PDF-1.4", exceptions.PICTURE_NOT_IMAGE),
    ("fake.png", b"%PDF-1.4 not really", exceptions.PICTURE_NOT_IMAGE),
    ("big.png", PNG + b"\x00" * (2 * 1024 * 1024), exceptions.PICTURE_TOO_LARGE),
])
def test_picture_must_be_an_image_of_at_most_2_mb(world, office, grade, name, content, message):
    picture = SimpleUploadedFile(name, content)
    kwargs = dict(actor=office, term=world.term, name="剪纸", category="艺术素养",
                  grades=[grade], picture=picture)
    if message is None:
        assert services.course_create(**kwargs).picture.name.startswith("courses/")
    else:
        with pytest.raises(ValidationError) as caught:
            services.course_create(**kwargs)
        assert caught.value.messages == [message]
        assert not Course.objects.exists()


def test_update_keeps_replaces_or_removes_the_picture(world, office, grade):
    c = services.course_create(actor=office, term=world.term, name="剪纸", category="艺术素养",
                               grades=[grade], picture=SimpleUploadedFile("a.png", PNG))
    common = dict(actor=office, name="剪纸", category="艺术素养", grades=[grade],
                  mode=Course.Mode.MIXED)
    assert services.course_update(course=c, picture=None, **common).picture
    assert not services.course_update(course=c, picture=False, **common).picture


def test_a_course_with_preferences_is_closed_not_deleted(world, office):
    c = course(world, name="机器人")
    prefer(world, c)
    with pytest.raises(exceptions.CourseInUse) as caught:
        services.course_delete(actor=office, course=c)
    assert caught.value.message == exceptions.COURSE_HAS_PREFERENCES.format(course="机器人", count=1)
    assert Course.objects.filter(pk=c.pk).exists()
    services.course_set_active(actor=office, course=c, is_active=False)
    c.refresh_from_db()
    assert not c.is_active


def test_a_course_nobody_ranked_can_be_deleted(world, office):
    c = course(world)
    SectionFactory(course=c, slots=[(2, 2)])
    services.course_delete(actor=office, course=c)
    assert not Course.objects.exists() and not Section.objects.exists()


def test_a_ranked_course_cannot_become_a_fixed_item(world, office, grade):
    c = course(world, name="大阅读")
    prefer(world, c)
    with pytest.raises(exceptions.CourseInUse, match="不能改为全员固定项目"):
        services.course_update(actor=office, course=c, name="大阅读", category="阅读写字",
                               grades=[grade], mode=Course.Mode.MIXED, is_fixed=True)


# ------------------------------------------------------------------ sections


def test_office_adds_a_section_with_slots_venue_and_tutors(world, office):
    c = course(world, instructor_subject="美术")
    section = services.section_create(
        actor=office, course=c, name="1班", venue="美术室",
        slots=[(2, period(world.term, 2)), (4, period(world.term, 2))], tutors=[world.tutor])
    assert [str(s) for s in section.slots.all()] == ["周二第2节", "周四第2节"]
    assert list(section.tutors.all()) == [world.tutor]
    assert section.capacity == 25


def test_slots_must_be_service_days_and_periods_of_the_term(world, office):
    c = course(world)
    with pytest.raises(exceptions.CatalogError, match=exceptions.SLOT_NOT_IN_TERM):
        services.section_create(actor=office, course=c, name="1班",
                                slots=[(5, period(world.term, 1))])
    other_term = factories.TermFactory(school=world.school, is_current=False, name="下学期")
    with pytest.raises(exceptions.CatalogError, match=exceptions.SLOT_NOT_IN_TERM):
        services.section_create(actor=office, course=c, name="1班",
                                slots=[(1, Period.objects.get(term=other_term, number=1))])
    with pytest.raises(exceptions.CatalogError, match=exceptions.SECTION_NEEDS_SLOTS):
        services.section_create(actor=office, course=c, name="1班", slots=[])


def test_a_tutor_is_never_in_two_sections_at_once(world, office):
    art = course(world, name="剪纸")
    SectionFactory(course=art, name="1班", slots=[(2, 2)], tutors=[world.tutor])
    other = course(world, name="书法")
    with pytest.raises(exceptions.ScheduleClash) as caught:
        services.section_create(actor=office, course=other, name="1班",
                                slots=[(2, period(world.term, 2))], tutors=[world.tutor])
    assert caught.value.message == exceptions.TUTOR_CLASH.format(tutor="赵老师", slot="周二第2节",
                                                                 section="剪纸 · 1班")
    assert not other.sections.exists()
    # Another period the same day is fine.
    section = services.section_create(actor=office, course=other, name="1班",
                                      slots=[(2, period(world.term, 3))], tutors=[world.tutor])
    assert list(other.sections.all()) == [section]
    assert [(s.weekday, s.period.number) for s in section.slots.all()] == [(2, 3)]
    assert list(section.tutors.all()) == [world.tutor]


def test_a_closed_course_does_not_hold_its_tutor(world, office):
    closed = course(world, name="剪纸", is_active=False)
    SectionFactory(course=closed, slots=[(2, 2)], tutors=[world.tutor])
    open_course = course(world)
    section = services.section_create(actor=office, course=open_course, name="1班",
                                      slots=[(2, period(world.term, 2))], tutors=[world.tutor])
    assert list(open_course.sections.all()) == [section]
    assert [(s.weekday, s.period.number) for s in section.slots.all()] == [(2, 2)]
    assert list(section.tutors.all()) == [world.tutor]


def test_a_venue_is_never_double_booked(world, office):
    SectionFactory(course=course(world, name="篮球"), name="1班", venue="操场",
                   slots=[(3, 2)])
    with pytest.raises(exceptions.ScheduleClash) as caught:
        services.section_create(actor=office, course=course(world, name="舞狮"), name="1班",
                                venue=" 操场 ", slots=[(3, period(world.term, 2))])
    assert caught.value.message == exceptions.VENUE_CLASH.format(venue="操场", slot="周三第2节",
                                                                 section="篮球 · 1班")


def test_editing_a_section_does_not_clash_with_itself(world, office):
    section = SectionFactory(course=course(world), venue="操场", slots=[(3, 2)],
                             tutors=[world.tutor])
    slot_pk = section.slots.get().pk
    services.section_update(actor=office, section=section, name="甲班", capacity=30, venue="操场",
                            slots=[(3, period(world.term, 2)), (1, period(world.term, 2))],
                            tutors=[world.tutor])
    section.refresh_from_db()
    assert section.name == "甲班" and section.capacity == 30
    # The slot that stayed is the same row (lessons may point at it).
    assert section.slots.filter(pk=slot_pk).exists() and section.slots.count() == 2


@pytest.mark.parametrize("kind,tutor,message", [
    (Course.InstructorKind.EXTERNAL, "tutor", exceptions.TUTOR_MUST_BE_EXTERNAL),
    (Course.InstructorKind.INTERNAL, "external", exceptions.TUTOR_MUST_BE_INTERNAL),
])
def test_instructor_kind_is_respected(world, office, kind, tutor, message):
    c = course(world, name="篮球", instructor_kind=kind)
    staff = getattr(world, tutor)
    with pytest.raises(exceptions.CatalogError) as caught:
        services.section_create(actor=office, course=c, name="1班",
                                slots=[(2, period(world.term, 2))], tutors=[staff])
    assert caught.value.message == message.format(course="篮球", tutor=staff.name)


def test_any_kind_and_the_right_kind_are_accepted(world, office):
    external = course(world, instructor_kind=Course.InstructorKind.EXTERNAL)
    section = services.section_create(actor=office, course=external, name="1班",
                                      slots=[(2, period(world.term, 2))], tutors=[world.external])
    assert list(section.tutors.all()) == [world.external]
    anyone = course(world, name="书法", instructor_kind=Course.InstructorKind.ANY)
    section = services.section_create(actor=office, course=anyone, name="1班",
                                      slots=[(3, period(world.term, 2))], tutors=[world.tutor])
    assert list(section.tutors.all()) == [world.tutor]
    assert anyone.sections.get() == section


def test_tutor_of_another_school_or_gone_is_refused(world, office):
    stranger = factories.StaffFactory(school=world.other_school, name="外校老师")
    c = course(world)
    with pytest.raises(exceptions.CatalogError, match="外校老师不是本校在职教职工"):
        services.section_create(actor=office, course=c, name="1班",
                                slots=[(2, period(world.term, 2))], tutors=[stranger])


def test_homeroom_only_for_per_homeroom_courses_of_its_grade(world, office):
    mixed = course(world)
    with pytest.raises(exceptions.CatalogError, match=exceptions.SECTION_HOMEROOM_FOR_MIXED):
        services.section_create(actor=office, course=mixed, name="1班", homeroom=world.homeroom,
                                slots=[(2, period(world.term, 2))])
    per_homeroom = course(world, name="作业辅导", mode=Course.Mode.HOMEROOM)
    other_grade = factories.HomeroomFactory(
        school=world.school, grade=factories.GradeFactory(school=world.school, number=8))
    with pytest.raises(exceptions.CatalogError, match="不在该课程面向的年级内"):
        services.section_create(actor=office, course=per_homeroom, name="1班", homeroom=other_grade,
                                slots=[(2, period(world.term, 2))])


def test_warnings_for_too_few_tutors_wrong_subject_and_day(world, office):
    c = course(world, instructor_subject="篮球")
    world.tutor.available_weekdays = [1, 2]
    world.tutor.save()
    section = services.section_create(actor=office, course=c, name="1班", capacity=40,
                                      slots=[(3, period(world.term, 2))], tutors=[world.tutor])
    warnings = services.section_warnings(section=section)
    assert exceptions.CAPACITY_OVER_RATIO.format(section=section, capacity=40, tutors=1,
                                                 needed=2) in warnings
    assert exceptions.TUTOR_SUBJECT_MISMATCH.format(tutor="赵老师", subject="篮球") in warnings
    assert exceptions.TUTOR_DAY_UNAVAILABLE.format(tutor="赵老师", days="周三") in warnings
    ok = services.section_create(actor=office, course=course(world, name="b"), name="1班",
                                 slots=[(1, period(world.term, 2))], tutors=[world.external])
    assert services.section_warnings(section=ok) == []


def test_changing_tutors_checks_clashes(world, office):
    SectionFactory(course=course(world, name="剪纸"), slots=[(2, 2)], tutors=[world.tutor])
    target = SectionFactory(course=course(world, name="书法"), slots=[(2, 2)])
    with pytest.raises(exceptions.ScheduleClash):
        services.section_set_tutors(actor=office, section=target, tutors=[world.tutor])
    services.section_set_tutors(actor=office, section=target, tutors=[world.external])
    assert list(target.tutors.all()) == [world.external]


# ------------------------------------------------------------------ one section per homeroom


def test_one_section_per_homeroom_sized_to_it(world, office):
    c = course(world, name="作业辅导", category="作业辅导", mode=Course.Mode.HOMEROOM)
    for _ in range(3):
        factories.StudentFactory(school=world.school, homeroom=world.other_homeroom)
    created = services.course_generate_homeroom_sections(
        actor=office, course=c, slots=[(1, period(world.term, 1)), (3, period(world.term, 1))])
    sizes = {s.homeroom: s.capacity for s in created}
    # homeroom: 张小明, 李华; other_homeroom: 张小红 + 3.
    assert sizes == {world.homeroom: 2, world.other_homeroom: 4}
    assert {s.name for s in created} == {"七年级1班", "七年级2班"}
    assert all(s.slots.count() == 2 for s in created)
    # Twice is harmless: homerooms that have their section are skipped.
    assert services.course_generate_homeroom_sections(
        actor=office, course=c, slots=[(1, period(world.term, 1))]) == []


def test_generation_is_for_per_homeroom_courses_with_homerooms(world, office):
    with pytest.raises(exceptions.CatalogError, match=exceptions.NOT_PER_HOMEROOM):
        services.course_generate_homeroom_sections(actor=office, course=course(world),
                                                   slots=[(1, period(world.term, 1))])
    empty_grade = Grade.objects.create(school=world.school, number=9, name="九年级")
    c = CourseFactory(term=world.term, name="空", mode=Course.Mode.HOMEROOM,
                      grades=[empty_grade])
    with pytest.raises(exceptions.CatalogError, match=exceptions.NO_HOMEROOMS):
        services.course_generate_homeroom_sections(actor=office, course=c,
                                                   slots=[(1, period(world.term, 1))])
    assert not Homeroom.objects.filter(grade=empty_grade).exists()


# ------------------------------------------------------------------ staffing


def test_staffing_apply_adds_all_or_nothing(world, office):
    a = SectionFactory(course=course(world, name="剪纸"), slots=[(2, 2)])
    b = SectionFactory(course=course(world, name="书法"), slots=[(2, 2)])
    # Both at Tuesday period 2 with the same tutor: the second addition clashes, so neither.
    with pytest.raises(exceptions.ScheduleClash):
        services.staffing_apply(actor=office, term=world.term,
                                additions=[(a.pk, world.tutor.pk), (b.pk, world.tutor.pk)])
    assert not a.tutors.exists() and not b.tutors.exists()
    changed = services.staffing_apply(actor=office, term=world.term,
                                      additions=[(a.pk, world.tutor.pk), (b.pk, world.external.pk)])
    assert set(changed) == {a, b}
    assert list(a.tutors.all()) == [world.tutor] and list(b.tutors.all()) == [world.external]


def test_staffing_apply_refuses_foreign_or_stale_rows(world, office):
    foreign_term = factories.TermFactory(school=world.other_school)
    foreign = SectionFactory(course=CourseFactory(term=foreign_term), slots=[(2, 2)])
    with pytest.raises(exceptions.CatalogError, match=exceptions.STAFFING_SECTION_GONE):
        services.staffing_apply(actor=office, term=world.term,
                                additions=[(foreign.pk, world.tutor.pk)])
    with pytest.raises(exceptions.CatalogError, match=exceptions.STAFFING_NOTHING_TO_APPLY):
        services.staffing_apply(actor=office, term=world.term, additions=[])


def test_another_schools_office_cannot_touch_our_rows(world):
    foreign = actor_for(world.foreign_coordinator, world.other_school)
    c = course(world)
    section = SectionFactory(course=c, slots=[(2, 2)])
    for call in (lambda: services.course_set_active(actor=foreign, course=c, is_active=False),
                 lambda: services.course_delete(actor=foreign, course=c),
                 lambda: services.section_set_tutors(actor=foreign, section=section, tutors=[]),
                 lambda: services.section_delete(actor=foreign, section=section)):
        with pytest.raises(exceptions.CatalogError, match=exceptions.COURSE_OTHER_SCHOOL):
            call()
    assert Section.objects.filter(pk=section.pk).exists()


def test_a_course_with_homeroom_sections_stays_per_homeroom(world, office, grade):
    c = course(world, name="作业辅导", mode=Course.Mode.HOMEROOM)
    services.course_generate_homeroom_sections(actor=office, course=c,
                                               slots=[(1, period(world.term, 1))])
    with pytest.raises(exceptions.CatalogError, match=exceptions.COURSE_HAS_HOMEROOM_SECTIONS):
        services.course_update(actor=office, course=c, name="作业辅导", category="作业辅导",
                               grades=[grade], mode=Course.Mode.MIXED)
