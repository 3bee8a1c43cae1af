"""factory_boy factories for the catalog: courses and their sections (with slots and tutors)."""

import factory

from afterschool.models import Period
from courses.models import Course, Section, SectionSlot
from tests import factories as core


class CourseFactory(factory.django.DjangoModelFactory):
    """``CourseFactory(term=t, grades=[g])``; the school follows the term."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    term = factory.SubFactory(core.TermFactory)
    school = factory.SelfAttribute("term.school")
    name = factory.Sequence(lambda n: f"课程{n}")
    category = "体育技能"
    mode = Course.Mode.MIXED

    @factory.post_generation
    def grades(self, create, extracted, **kwargs):
        if create and extracted:
            self.grades.set(extracted)


class SectionFactory(factory.django.DjangoModelFactory):
    """``SectionFactory(course=c, slots=[(2, 2)], tutors=[staff])``: slots are
    (ISO weekday, period number) of the course's term."""

    class Meta:
        model = Section
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"{n + 1}班")
    capacity = 25

    @factory.post_generation
    def slots(self, create, extracted, **kwargs):
        if create and extracted:
            add_slots(self, *extracted)

    @factory.post_generation
    def tutors(self, create, extracted, **kwargs):
        if create and extracted:
            self.tutors.set(extracted)


def add_slots(section: Section, *slots: tuple[int, int]) -> list[SectionSlot]:
    """Add slots given as (ISO weekday, period number of the section's term)."""
    periods = {p.number: p for p in Period.objects.filter(term_id=section.course.term_id)}
    return [SectionSlot.objects.create(section=section, weekday=weekday, period=periods[number])
            for weekday, number in slots]


def period(term, number: int) -> Period:
    return Period.objects.get(term=term, number=number)
