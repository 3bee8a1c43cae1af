"""factory_boy factories for the core; apps above add theirs in tests/<app>/factories.py."""

import datetime as dt

import factory
from django.utils import timezone

from afterschool import models

DEFAULT_PASSWORD = "Kehou-2024!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(DEFAULT_PASSWORD)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.School
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"第{n}实验学校")
    code = factory.Sequence(lambda n: f"school{n}")
    district = "莒县教育局"


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Term
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    name = "2024—2025学年第一学期"
    start_date = dt.date(2024, 9, 9)
    end_date = dt.date(2025, 1, 17)
    service_weekdays = [1, 2, 3, 4]
    application_opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    application_closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=6))
    max_preferences = 3
    is_current = True
    service_content = "作业辅导、特色课程（社团）"
    safety_text = "点名、交接班、护送离校。"

    @factory.post_generation
    def periods(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        slots = extracted or [
            (dt.time(16, 40), dt.time(17, 20), models.Period.Kind.HOMEWORK),
            (dt.time(17, 30), dt.time(18, 10), models.Period.Kind.COURSE),
            (dt.time(18, 15), dt.time(18, 50), models.Period.Kind.COURSE),
        ]
        for number, (start, end, kind) in enumerate(slots, start=1):
            models.Period.objects.create(term=self, number=number, start_time=start,
                                         end_time=end, kind=kind)


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Grade
        django_get_or_create = ("school", "number")

    school = factory.SubFactory(SchoolFactory)
    number = 7
    name = factory.LazyAttribute(lambda o: {7: "七年级", 8: "八年级", 9: "九年级"}.get(
        o.number, f"{o.number}年级"))


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Staff

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"教师{n}")
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    subjects = "语文"
    available_weekdays = [1, 2, 3, 4]
    user = factory.SubFactory(UserFactory, phone=factory.SelfAttribute("..phone"),
                              name=factory.SelfAttribute("..name"))


class HomeroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Homeroom

    school = factory.SubFactory(SchoolFactory)
    grade = factory.SubFactory(GradeFactory, school=factory.SelfAttribute("..school"))
    number = factory.Sequence(lambda n: n + 1)
    head_teacher = factory.SubFactory(StaffFactory, school=factory.SelfAttribute("..school"))


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Student

    school = factory.SubFactory(SchoolFactory)
    homeroom = factory.SubFactory(HomeroomFactory, school=factory.SelfAttribute("..school"))
    student_no = factory.Sequence(lambda n: f"2024{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = "M"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Guardian

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"家长{n}")
    phone = factory.Sequence(lambda n: f"136{n:08d}")
    email = factory.LazyAttribute(lambda o: f"{o.phone}@example.com")
    user = factory.SubFactory(UserFactory, phone=factory.SelfAttribute("..phone"),
                              name=factory.SelfAttribute("..name"))
    activated_at = factory.LazyFunction(timezone.now)


def link_guardian(student, guardian, relation="母亲", is_primary=True):
    return models.StudentGuardian.objects.create(student=student, guardian=guardian,
                                                 relation=relation, is_primary=is_primary)


def grant(user, role, school=None, **kw):
    return models.RoleAssignment.objects.create(user=user, role=role, school=school, **kw)


def privacy_consent(student, *, sensitive=True, guardian=None):
    """The school's privacy notice (v1 if it has none) and a guardian's standing consent for
    this child (issue 15): without it a participating form cannot be submitted."""
    from enrollment.models import PrivacyConsent, PrivacyNotice

    notice = (PrivacyNotice.objects.filter(school_id=student.school_id).order_by("-version")
              .first() or PrivacyNotice.objects.create(
                  school_id=student.school_id, version=1, text="个人信息保护告知书正文",
                  sensitive_text="敏感个人信息部分"))
    kinds = [PrivacyConsent.Kind.PERSONAL] + ([PrivacyConsent.Kind.SENSITIVE] if sensitive else [])
    return [PrivacyConsent.objects.get_or_create(
        student=student, notice=notice, kind=kind, withdrawn_at=None,
        defaults={"guardian": guardian})[0] for kind in kinds]
