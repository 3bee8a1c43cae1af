"""Builders for the survey tests: children who attended (lessons with marked records, a club
with its section and tutor), a published survey, answers through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from afterschool.access import actor_for
from attendance.models import AttendanceRecord, Lesson
from surveys import services
from surveys.models import Question, Survey
from tests import factories as f
from tests.courses.factories import CourseFactory, SectionFactory

DAY = dt.date(2024, 11, 11)


def attended(term, students, *, tutors=(), section=None, status="present", day=DAY,
             title="作业辅导") -> Lesson:
    """``students`` at the lesson ``title`` of ``day`` (made once), marked ``status`` (a club's
    lesson when ``section``)."""
    kind = Lesson.Kind.COURSE if section is not None else Lesson.Kind.HOMEWORK
    lesson, _ = Lesson.objects.get_or_create(
        term=term, date=day, start_time=dt.time(16, 40),
        key=f"test:{title}:{section.pk if section else 0}",
        defaults={"end_time": dt.time(17, 20), "kind": kind, "title": title,
                  "section_id": section.pk if section else None})
    lesson.tutors.add(*tutors)
    now = timezone.now()
    AttendanceRecord.objects.bulk_create([
        AttendanceRecord(lesson=lesson, student=s, status=status, marked_at=now)
        for s in students])
    return lesson


@dataclass
class SurveyWorld:
    survey: Survey
    office: object
    club: object          # a Course
    section: object


def survey_world(world, *, publish=True, closes_in=dt.timedelta(days=7)) -> SurveyWorld:
    """The world's three children attended a homework lesson (the homeroom teacher's) and a
    basketball club (the external instructor's); a survey with the default questions."""
    grade = world.homeroom.grade
    club = CourseFactory(term=world.term, name="篮球", grades=[grade])
    section = SectionFactory(course=club, name="篮球1班", tutors=[world.external])
    children = [world.child, world.sibling, world.other_child]
    attended(world.term, children, tutors=[world.tutor])
    attended(world.term, children, tutors=[world.external], section=section, title="篮球")
    office = actor_for(world.coordinator, world.school)
    survey = services.survey_create(actor=office, term=world.term, title="本学期满意度调查",
                                    closes_at=timezone.now() + closes_in)
    if publish:
        services.survey_publish(actor=office, survey=survey)
        survey.refresh_from_db()
    return SurveyWorld(survey=survey, office=office, club=club, section=section)


def answers(survey: Survey, scale: int = 5, *, text: str = "", choice: str | None = None
            ) -> dict[int, str]:
    """A full answer: every scale question ``scale``, the choice question its first option."""
    found = {}
    for q in survey.questions.all():
        if q.kind == Question.Kind.SCALE:
            found[q.pk] = str(scale)
        elif q.kind == Question.Kind.CHOICE:
            found[q.pk] = choice or q.options[0]
        elif text:
            found[q.pk] = text
    return found


def family(school, homeroom, name, *, phone=None):
    """A new child in ``homeroom`` with a guardian who has a login; returns (child, guardian)."""
    guardian = f.GuardianFactory(school=school, name=f"{name}家长",
                                 **({"phone": phone} if phone else {}))
    child = f.StudentFactory(school=school, homeroom=homeroom, name=name)
    f.link_guardian(child, guardian)
    return child, guardian


def answer_as(guardian, survey, child, scale=5, **kwargs):
    actor = actor_for(guardian.user, survey.school)
    return services.response_submit(actor=actor, survey=survey, student=child,
                                    answers=answers(survey, scale, **kwargs))
