"""Builders for the privacy tests: two families with a record of every kind the school keeps.

The world's 王丽 has two children (张小明 in homeroom 1, 张小红 in homeroom 2); 李强's 李华 sits
in 张小明's homeroom, in the same club section and at the same lessons. Every personal text of
李强's family carries the word ``OTHERFAMILY`` (and its own phones), so a test can look for it
anywhere in a download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from afterschool.access import actor_for
from afterschool.audit import log_access
from afterschool.models import Notice
from arrangement.models import Arrangement, Placement
from attendance.models import (
    AbsenceAlert,
    AttendanceRecord,
    Dismissal,
    DutyHandover,
    LeaveRequest,
    PickupChange,
    PickupCode,
)
from enrollment.models import Application, PickupPerson, Preference, Signature
from tests.courses.factories import CourseFactory, SectionFactory
from tests.enrollment.factories import AgreementFactory
from tests.evaluation.builders import at, make_lesson, take
from tests.surveys.builders import answer_as, survey_world

NOV_4 = dt.date(2024, 11, 4)
NOV_5 = dt.date(2024, 11, 5)
OTHER = "OTHERFAMILY"


@dataclass
class Families:
    club: object
    section: object
    arrangement: object
    survey: object
    lessons: list


def _phone(prefix: str, n: int) -> str:
    return f"{prefix}{n:08d}"


def records_of(world, student, *, marker: str, n: int, arrangement, course, section, lessons,
               agreement):
    """Every kind of row about ``student``, each personal text tagged with ``marker``."""
    app = Application.objects.create(
        school=world.school, term=world.term, student=student,
        status=Application.Status.PLACED, participates=True, weekdays=[1, 2, 3, 4],
        dismissal=Application.Dismissal.PICKED_UP, health_notes=f"{marker}哮喘{n}",
        allergies=f"{marker}花生{n}", contact_phone=_phone("158", n),
        decision_comment=f"{marker}审核意见{n}", submitted_at=timezone.now())
    Preference.objects.create(application=app, rank=1, course=course)
    PickupPerson.objects.create(application=app, name=f"{marker}爷爷{n}", relation="爷爷",
                                phone=_phone("159", n))
    Signature.objects.create(application=app, agreement=agreement, signed_name=f"{marker}签名{n}",
                             ip_address="10.0.0.1")
    Placement.objects.create(arrangement=arrangement, student=student, application=app,
                             course=course, section=section, rank=1)
    for lesson in lessons:
        AttendanceRecord.objects.filter(lesson=lesson, student=student).update(
            note=f"{marker}点名备注{n}")
    leave = LeaveRequest.objects.create(student=student, term=world.term, start_date=NOV_5,
                                        end_date=NOV_5, reason=f"{marker}看病{n}",
                                        status=LeaveRequest.Status.APPROVED)
    PickupChange.objects.create(student=student, date=NOV_4, name=f"{marker}外婆{n}",
                                relation="外婆", phone=_phone("157", n))
    code = PickupCode.objects.create(
        school=world.school, student=student, date=NOV_4, code=f"{n:06d}",
        person_name=f"{marker}外婆{n}", person_relation="外婆", person_phone=_phone("157", n),
        expires_at=at(NOV_4, 20))
    Dismissal.objects.create(
        school=world.school, student=student, date=NOV_4, lesson=lessons[0],
        method=Dismissal.Method.PICKED_UP, via=Dismissal.Via.CODE, to_name=f"{marker}外婆{n}",
        to_relation="外婆", to_phone=_phone("157", n), pickup_code=code,
        released_as="tutor", released_at=at(NOV_4, 17, 30), note=f"{marker}交接说明{n}")
    DutyHandover.objects.create(
        school=world.school, student=student, date=NOV_5, reason=DutyHandover.Reason.UNLISTED,
        person_name=f"{marker}舅舅{n}", person_relation="舅舅", person_phone=_phone("156", n))
    record = AttendanceRecord.objects.get(lesson=lessons[1], student=student)
    AbsenceAlert.objects.create(record=record, student=student, lesson=lessons[1],
                                status=AbsenceAlert.Status.HANDLED, handled_at=timezone.now(),
                                outcome=f"{marker}已电话联系{n}")
    return app, leave


def two_families(world) -> Families:
    """Both families' children in one club section and at the same lessons; all records."""
    t = world.term
    A, C, B = world.child, world.sibling, world.other_child
    sw = survey_world(world)        # the three attended; a published survey
    club, section = sw.club, sw.section
    arrangement = Arrangement.objects.create(term=t, version=1, seed=1,
                                             status=Arrangement.Status.PUBLISHED)
    reading = CourseFactory(term=t, name="阅读写字")
    SectionFactory(course=reading, name="七年级1班", homeroom=world.homeroom)
    l1 = make_lesson(t, NOV_4, [A, B, C], tutors=[world.tutor], title="作业辅导", key="hw:4")
    take(l1, {A: "present", B: "present", C: "present"}, by=world.tutor, when=at(NOV_4, 16, 42))
    l2 = make_lesson(t, NOV_5, [A, B, C], tutors=[world.external], title="篮球",
                     kind="course", section_id=section.pk, key="club:5")
    take(l2, {A: "absent", B: "absent", C: "present"}, by=world.external,
         when=at(NOV_5, 16, 45))
    agreement = AgreementFactory(term=t)
    for n, (student, marker) in enumerate([(A, "MINE"), (C, "MINE"), (B, OTHER)], start=1):
        records_of(world, student, marker=marker, n=n, arrangement=arrangement, course=club,
                   section=section, lessons=[l1, l2], agreement=agreement)
    answer_as(world.guardian, sw.survey, A, 5, text="MINE孩子很喜欢")
    answer_as(world.other_guardian, sw.survey, B, 2, text=f"{OTHER}希望改进")
    # The club's tutor opened the section's roster: health and pickup persons of all three.
    log_access(None, actor_for(world.external.user, world.school), [A, B, C],
               place="教学班名单（篮球1班）", kinds=["health", "pickup"])
    Notice.objects.create(user=world.guardian.user, school=world.school,
                          title="张小明已放学", body="张小明由MINE外婆1接走。")
    Notice.objects.create(user=world.other_guardian.user, school=world.school,
                          title="李华已放学", body=f"李华由{OTHER}外婆3接走。")
    return Families(club=club, section=section, arrangement=arrangement, survey=sw.survey,
                    lessons=[l1, l2])


def guardian_actor(world, guardian=None):
    return actor_for((guardian or world.guardian).user, world.school)


def office_actor(world):
    return actor_for(world.coordinator, world.school)
