"""Dismissal (放学交接) services: releases by group, by list, by code; the duty teacher; the
sweep; the day's close; and every refusal, with nothing partial written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Notice, Role
from attendance import exceptions as errors
from attendance.models import (
    AttendancePolicy,
    Dismissal,
    DismissalDay,
    DutyHandover,
    Lesson,
    PickupChange,
    PickupCode,
    PickupCodeFailure,
)
from attendance.services import (
    dismissal_hand_to_duty,
    dismissal_release_by_code,
    dismissal_release_group,
    dismissal_release_to_person,
    dismissals_sweep,
    duty_release,
    pickup_change_add,
    pickup_change_remove,
    pickup_code_issue,
)
from attendance.services.dismissal import CODE_FAILURE_LIMIT
from enrollment.models import Application
from tests import factories as f
from tests.enrollment.factories import ApplicationFactory

from .leave_builders import MONDAY, TUESDAY, at, lesson, mark, term_around_today

pytestmark = pytest.mark.django_db
D = Application.Dismissal


@dataclass
class Day:
    """A Monday lesson 16:40–17:20 of the world's tutor: 张小明 picked up (mother 王丽, grandpa
    on the form), 李华 absent, 王小刚 going alone, 赵小雨 and 钱小雷 on bus 2 号线, 孙小林 a
    boarder; and 周小丽, whose last lesson is a later one (17:30–18:10)."""

    lesson: Lesson
    later: Lesson
    tutor: object
    duty: object
    office: object
    guardian: object
    other_guardian: object
    alone: object
    bus: list
    boarder: object
    stays: object


def _form(world, student, dismissal, **kw):
    return ApplicationFactory(student=student, term=world.term, dismissal=dismissal,
                              alone_consent=dismissal == D.ALONE, **kw)


def build_day(world, day=MONDAY, *, mark_roll=True) -> Day:
    school = world.school
    alone = f.StudentFactory(school=school, homeroom=world.homeroom, name="王小刚")
    bus = [f.StudentFactory(school=school, homeroom=world.homeroom, name="赵小雨"),
           f.StudentFactory(school=school, homeroom=world.other_homeroom, name="钱小雷")]
    boarder = f.StudentFactory(school=school, homeroom=world.homeroom, name="孙小林",
                               is_boarder=True)
    stays = f.StudentFactory(school=school, homeroom=world.homeroom, name="周小丽")
    _form(world, world.child, D.PICKED_UP)
    _form(world, alone, D.ALONE)
    for child in bus:
        _form(world, child, D.BUS, bus_route="2 号线")
    kids = [world.child, world.other_child, alone, *bus, boarder, stays]
    first = lesson(world.term, day, kids, tutors=[world.tutor], title="作业辅导（七年级1班）")
    later = lesson(world.term, day, [stays], start=(17, 30), end=(18, 10), title="篮球",
                   tutors=[world.external])
    if mark_roll:
        for kid in kids:
            mark(first, kid, "absent" if kid == world.other_child else "present",
                 by=world.tutor.user, when=at(day, 16, 42))
        mark(later, stays, "present", by=world.external.user, when=at(day, 17, 32))
    return Day(lesson=first, later=later, tutor=actor_for(world.tutor.user, school),
               duty=actor_for(world.duty_teacher.user, school),
               office=actor_for(world.coordinator, school),
               guardian=actor_for(world.guardian.user, school),
               other_guardian=actor_for(world.other_guardian.user, school),
               alone=alone, bus=bus, boarder=boarder, stays=stays)


def release_everyone_but_the_later(world, d: Day, when):
    dismissal_release_group(lesson=d.lesson, actor=d.tutor, way="alone", student_ids=[d.alone.pk],
                            now=when)
    dismissal_release_group(lesson=d.lesson, actor=d.tutor, way="bus", route="2 号线",
                            student_ids=[c.pk for c in d.bus], now=when)
    dismissal_release_group(lesson=d.lesson, actor=d.tutor, way="dormitory",
                            student_ids=[d.boarder.pk], now=when)
    dismissal_release_to_person(lesson=d.lesson, actor=d.tutor, student_id=world.child.pk,
                                person_key=f"g{world.guardian.pk}", now=when)


@pytest.fixture
def day(world):
    return build_day(world)


# ------------------------------------------------------------------ the happy paths


def test_one_tap_per_group_records_who_to_whom_and_when(world, day):
    when = at(MONDAY, 17, 22)
    rows = dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="bus", route="2 号线",
                                   student_ids=[c.pk for c in day.bus], now=when)
    assert {r.student for r in rows} == set(day.bus)
    for row in Dismissal.objects.filter(student__in=day.bus):
        assert (row.method, row.via, row.bus_route, row.released_by, row.released_as,
                row.released_at, row.lesson) == ("bus", "group", "2 号线", world.tutor.user,
                                                 "tutor", when, day.lesson)
    gate = dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="alone",
                                   student_ids=[day.alone.pk], now=when)[0]
    assert gate.method == Dismissal.Method.GATE
    dorm = dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="dormitory",
                                   student_ids=[day.boarder.pk], now=when)[0]
    assert (dorm.method, dorm.to_name) == ("dormitory", "宿舍")


def test_release_to_a_listed_person_tells_the_family(world, day):
    release = dismissal_release_to_person(
        lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
        person_key=f"g{world.guardian.pk}", now=at(MONDAY, 17, 52))
    assert (release.to_name, release.to_relation, release.via) == ("王丽", "母亲", "list")
    notice = Notice.objects.get(user=world.guardian.user)
    assert notice.title == "张小明已放学：17:52 已由 王丽（母亲）接走"


def test_the_forms_pickup_person_is_on_the_list(world, day):
    from enrollment.models import PickupPerson

    grandpa = PickupPerson.objects.get(application__student=world.child)
    release = dismissal_release_to_person(
        lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
        person_key=f"p{grandpa.pk}", now=at(MONDAY, 17, 30))
    assert (release.to_name, release.to_relation, release.to_phone) == ("张爷爷", "爷爷",
                                                                        "13900139000")


def test_the_guardians_code_releases_to_the_named_person_once(world, day):
    code = pickup_code_issue(actor=day.guardian, student=world.child,
                             person_key=f"g{world.guardian.pk}", now=at(MONDAY, 12, 0))
    assert len(code.code) == 6 and code.code.isdigit()
    release = dismissal_release_by_code(lesson=day.lesson, actor=day.tutor,
                                        student_id=world.child.pk, code=code.code,
                                        now=at(MONDAY, 17, 25))
    assert (release.via, release.pickup_code, release.to_name) == ("code", code, "王丽")
    code.refresh_from_db()
    assert code.used_at == at(MONDAY, 17, 25)


def test_a_day_change_authorises_grandma_and_makes_a_pick_up(world, day):
    change = pickup_change_add(actor=day.guardian, student=world.child, day=MONDAY, name="刘芳",
                               relation="外婆", phone="13905390000", now=at(MONDAY, 9, 0))
    code = pickup_code_issue(actor=day.guardian, student=world.child,
                             person_key=f"d{change.pk}", now=at(MONDAY, 9, 1))
    assert (code.person_name, code.person_relation) == ("刘芳", "外婆")
    # A bus child whose family changes the day is picked up that day.
    bus_family = f.GuardianFactory(school=world.school, name="赵强")
    f.link_guardian(day.bus[0], bus_family, relation="父亲")
    bus_actor = actor_for(bus_family.user, world.school)
    pickup_change_add(actor=bus_actor, student=day.bus[0], day=MONDAY, name="赵奶奶",
                      relation="奶奶", phone="13905391111", now=at(MONDAY, 9, 0))
    with pytest.raises(errors.DismissalError) as refused:
        dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="bus", route="2 号线",
                                student_ids=[c.pk for c in day.bus], now=at(MONDAY, 17, 21))
    assert refused.value.message == errors.DISMISSAL_WRONG_GROUP.format(
        student="赵小雨", way="家长接送", group="乘坐校车（2 号线）")
    assert not Dismissal.objects.exists()
    # Taking grandma off again takes her code with her.
    pickup_change_remove(actor=day.guardian, change=change, now=at(MONDAY, 10, 0))
    assert not PickupChange.objects.filter(student=world.child).exists()
    assert not PickupCode.objects.filter(student=world.child).exists()


def test_the_last_release_closes_the_day(world, day):
    when = at(MONDAY, 17, 25)
    release_everyone_but_the_later(world, day, when)
    assert DismissalDay.objects.get(school=world.school, date=MONDAY).closed_at is None
    dismissal_release_to_person(lesson=day.later, actor=actor_for(world.external.user,
                                                                  world.school),
                                student_id=day.stays.pk,
                                person_key=f"g{_guardian_of(world, day.stays).pk}",
                                now=at(MONDAY, 18, 12))
    closing = DismissalDay.objects.get(school=world.school, date=MONDAY)
    assert closing.closed_at == at(MONDAY, 18, 12)
    assert closing.released == 6  # 李华 was absent: not expected


def _guardian_of(world, student):
    guardian = f.GuardianFactory(school=world.school, name="周强")
    f.link_guardian(student, guardian, relation="父亲")
    return guardian


# ------------------------------------------------------------------ the duty teacher


def test_the_sweep_hands_the_late_to_duty_and_tells_the_office(world, day):
    AttendancePolicy.objects.create(school=world.school, dismissal_handover_minutes=20)
    dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="alone",
                            student_ids=[day.alone.pk], now=at(MONDAY, 17, 21))
    assert dismissals_sweep(now=at(MONDAY, 17, 39)) == 0  # 19 minutes after the end
    handed = dismissals_sweep(now=at(MONDAY, 17, 40))
    # 张小明, the two bus children and the boarder; not 王小刚 (released), 李华 (absent) or
    # 周小丽 (her lesson ends 18:10).
    assert handed == 4
    assert set(DutyHandover.objects.values_list("student__name", flat=True)) == {
        "张小明", "赵小雨", "钱小雷", "孙小林"}
    assert dismissals_sweep(now=at(MONDAY, 17, 41)) == 0  # safe to run twice
    told = Notice.objects.filter(title="放学超时：4 名学生已移交值日教师")
    assert set(told.values_list("user", flat=True)) == {world.duty_teacher.user_id,
                                                        world.coordinator.pk}
    assert "张小明" in told.first().body


def test_the_duty_teacher_releases_anyone_still_in_school(world, day):
    release = duty_release(actor=day.duty, student_id=world.child.pk, how="person",
                           person_key=f"g{world.guardian.pk}", now=at(MONDAY, 17, 45))
    assert (release.released_as, release.released_by) == ("duty", world.duty_teacher.user)
    boarder = duty_release(actor=day.duty, student_id=day.boarder.pk, how="way",
                           now=at(MONDAY, 17, 46))
    assert boarder.method == "dormitory"


def test_someone_not_on_the_list_waits_for_the_duty_teachers_confirmation(world, day):
    handover = dismissal_hand_to_duty(lesson=day.lesson, actor=day.tutor,
                                      student_id=world.child.pk, name="刘芳", relation="姑姑",
                                      phone="13905391234", now=at(MONDAY, 17, 23))
    assert handover.reason == "unlisted"
    assert not Dismissal.objects.exists()
    assert Notice.objects.filter(user=world.duty_teacher.user,
                                 title="名单外接送人待确认：张小明").exists()
    with pytest.raises(errors.DismissalError) as refused:
        duty_release(actor=day.duty, student_id=world.child.pk, how="confirm", note=" ",
                     now=at(MONDAY, 17, 30))
    assert refused.value.message == errors.DISMISSAL_CONFIRM_NOTE
    release = duty_release(actor=day.duty, student_id=world.child.pk, how="confirm",
                           note="已电话联系母亲王丽确认", now=at(MONDAY, 17, 31))
    assert (release.via, release.to_name, release.confirmed_by, release.note) == (
        "confirmed", "刘芳", world.duty_teacher.user, "已电话联系母亲王丽确认")


# ------------------------------------------------------------------ refusals


def _refused(call, message):
    before = (Dismissal.objects.count(), DutyHandover.objects.count(), Notice.objects.count())
    with pytest.raises(errors.DismissalError) as refused:
        call()
    assert refused.value.message == message
    assert (Dismissal.objects.count(), DutyHandover.objects.count(),
            Notice.objects.count()) == before
    return refused.value


def test_an_absent_child_is_not_released(world, day):
    _refused(lambda: dismissal_release_to_person(
        lesson=day.lesson, actor=day.tutor, student_id=world.other_child.pk,
        person_key=f"g{world.other_guardian.pk}", now=at(MONDAY, 17, 21)),
        errors.DISMISSAL_NOT_PRESENT.format(student="李华", lesson="作业辅导（七年级1班）",
                                            status="缺勤"))
    _refused(lambda: duty_release(actor=day.duty, student_id=world.other_child.pk,
                                  how="person", person_key=f"g{world.other_guardian.pk}",
                                  now=at(MONDAY, 17, 50)),
             errors.DISMISSAL_NOT_PRESENT.format(student="李华", lesson="作业辅导（七年级1班）",
                                                 status="缺勤"))


def test_a_second_release_is_refused_naming_the_first(world, day):
    dismissal_release_to_person(lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
                                person_key=f"g{world.guardian.pk}", now=at(MONDAY, 17, 52))
    _refused(lambda: duty_release(actor=day.duty, student_id=world.child.pk, how="person",
                                  person_key=f"g{world.guardian.pk}", now=at(MONDAY, 17, 53)),
             errors.DISMISSAL_ALREADY.format(student="张小明", what="17:52 已由 王丽（母亲）接走",
                                             by="赵老师"))


def test_a_group_tap_with_one_released_child_writes_nothing(world, day):
    duty_release(actor=day.duty, student_id=day.bus[1].pk, how="way", now=at(MONDAY, 17, 21))
    _refused(lambda: dismissal_release_group(
        lesson=day.lesson, actor=day.tutor, way="bus", route="2 号线",
        student_ids=[c.pk for c in day.bus], now=at(MONDAY, 17, 22)),
        errors.DISMISSAL_ALREADY.format(student="钱小雷", what="17:21 已送上校车（2 号线）",
                                        by="吴老师"))
    assert not Dismissal.objects.filter(student=day.bus[0]).exists()


def test_the_database_refuses_a_second_release_too(world, day):
    dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="alone",
                            student_ids=[day.alone.pk], now=at(MONDAY, 17, 21))
    with pytest.raises(IntegrityError), transaction.atomic():
        Dismissal.objects.create(school=world.school, student=day.alone, date=MONDAY,
                                 method="gate", via="group", released_as="duty")


def test_someone_not_the_tutor_nor_on_duty_is_refused(world, day):
    other = actor_for(world.homeroom_teacher.user, world.school)
    _refused(lambda: dismissal_release_group(
        lesson=day.lesson, actor=other, way="alone", student_ids=[day.alone.pk],
        now=at(MONDAY, 17, 21)), errors.DISMISSAL_NOT_YOURS.format(lesson="作业辅导（七年级1班）"))
    _refused(lambda: duty_release(actor=other, student_id=day.alone.pk, how="way",
                                  now=at(MONDAY, 17, 21)),
             errors.DISMISSAL_NOT_DUTY.format(day="11月11日（周一）"))


def test_a_duty_teacher_of_another_weekday_is_not_on_duty(world, day):
    from afterschool.models import RoleAssignment

    RoleAssignment.objects.filter(user=world.duty_teacher.user, role=Role.DUTY_TEACHER).update(
        title="周二值日")
    duty = actor_for(world.duty_teacher.user, world.school)
    _refused(lambda: duty_release(actor=duty, student_id=day.alone.pk, how="way",
                                  now=at(MONDAY, 17, 21)),
             errors.DISMISSAL_NOT_DUTY.format(day="11月11日（周一）"))


def test_the_tutor_of_an_earlier_lesson_leaves_a_child_to_the_later_one(world, day):
    _refused(lambda: dismissal_release_to_person(
        lesson=day.lesson, actor=day.tutor, student_id=day.stays.pk, person_key="g1",
        now=at(MONDAY, 17, 21)),
        errors.DISMISSAL_LATER_LESSON.format(student="周小丽", later="篮球", start="17:30"))


def test_a_student_of_another_lesson_or_day_is_refused(world, day):
    _refused(lambda: dismissal_release_group(
        lesson=day.lesson, actor=day.tutor, way="alone", student_ids=[world.sibling.pk],
        now=at(MONDAY, 17, 21)),
        errors.DISMISSAL_NOT_ON_LESSON.format(student=world.sibling.pk,
                                              lesson="作业辅导（七年级1班）"))
    _refused(lambda: dismissal_release_group(
        lesson=day.lesson, actor=day.tutor, way="alone", student_ids=[day.alone.pk],
        now=at(TUESDAY, 17, 21)),
        errors.DISMISSAL_OTHER_DAY.format(lesson="作业辅导（七年级1班）", day="11月11日（周一）"))


def test_a_person_not_on_the_list_cannot_be_picked(world, day):
    _refused(lambda: dismissal_release_to_person(
        lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
        person_key=f"g{world.other_guardian.pk}", now=at(MONDAY, 17, 21)),
        errors.DISMISSAL_PERSON_UNKNOWN.format(student="张小明"))


def test_wrong_expired_used_and_other_childs_codes_are_refused(world, day):
    other_family = f.GuardianFactory(school=world.school, name="王强")
    f.link_guardian(day.alone, other_family, relation="父亲")
    theirs = pickup_code_issue(actor=actor_for(other_family.user, world.school),
                               student=day.alone, person_key=f"g{other_family.pk}",
                               now=at(MONDAY, 8, 0))
    mine = pickup_code_issue(actor=day.guardian, student=world.child,
                             person_key=f"g{world.guardian.pk}", now=at(MONDAY, 8, 0))
    wrong = next(c for c in ("000000", "111111", "222222") if c not in (theirs.code, mine.code))

    def by_code(code):
        return lambda: dismissal_release_by_code(lesson=day.lesson, actor=day.tutor,
                                                 student_id=world.child.pk, code=code,
                                                 now=at(MONDAY, 17, 21))

    _refused(by_code(wrong), errors.PICKUP_CODE_WRONG.format(code=wrong, left=4))
    _refused(by_code(theirs.code), errors.PICKUP_CODE_OTHER_CHILD.format(
        code=theirs.code, other="王小刚", student="张小明"))
    _refused(by_code("12ab"), errors.PICKUP_CODE_REQUIRED)
    # Yesterday's code: made on Monday, typed on Tuesday at Tuesday's lesson.
    tuesday = lesson(world.term, TUESDAY, [world.child], tutors=[world.tutor], title="周二作业")
    refused = pytest.raises(errors.DismissalError)
    with refused as caught:
        dismissal_release_by_code(lesson=tuesday, actor=day.tutor, student_id=world.child.pk,
                                  code=mine.code, now=at(TUESDAY, 17, 21))
    assert caught.value.message == errors.PICKUP_CODE_EXPIRED.format(code=mine.code,
                                                                     day="11月11日（周一）")
    dismissal_release_by_code(lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
                              code=mine.code, now=at(MONDAY, 17, 22))
    dismissal_release_group(lesson=day.lesson, actor=day.tutor, way="alone",
                            student_ids=[day.alone.pk], now=at(MONDAY, 17, 22))
    assert PickupCodeFailure.objects.filter(lesson=day.lesson).count() == 2


def test_wrong_codes_are_rate_limited_per_lesson(world, day):
    pickup_code_issue(actor=day.guardian, student=world.child,
                      person_key=f"g{world.guardian.pk}", now=at(MONDAY, 8, 0))
    real = PickupCode.objects.get().code
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != real][:CODE_FAILURE_LIMIT]
    for n, guess in enumerate(guesses):
        with pytest.raises(errors.DismissalError) as refused:
            dismissal_release_by_code(lesson=day.lesson, actor=day.tutor,
                                      student_id=world.child.pk, code=guess,
                                      now=at(MONDAY, 17, 21))
        assert refused.value.message == errors.PICKUP_CODE_WRONG.format(
            code=guess, left=CODE_FAILURE_LIMIT - n - 1)
    # Even the right code waits now: guessing cannot go on.
    _refused(lambda: dismissal_release_by_code(
        lesson=day.lesson, actor=day.tutor, student_id=world.child.pk, code=real,
        now=at(MONDAY, 17, 25)), errors.PICKUP_CODE_LOCKED.format(minutes=10, limit=5))
    # The list still works, and ten minutes later the code does too.
    release = dismissal_release_by_code(lesson=day.lesson, actor=day.tutor,
                                        student_id=world.child.pk, code=real,
                                        now=at(MONDAY, 17, 32))
    assert release.via == "code"


def test_codes_are_unguessable_and_unique_per_school_day(world, day):
    codes = set()
    for _ in range(30):
        codes.add(pickup_code_issue(actor=day.guardian, student=world.child,
                                    person_key=f"g{world.guardian.pk}",
                                    now=at(MONDAY, 8, 0)).code)
    assert len(codes) > 25  # a fresh random draw each time, not a counter
    assert PickupCode.objects.filter(student=world.child).count() == 1  # the latest only


def test_family_refusals(world, day):
    _refused(lambda: pickup_change_add(actor=day.other_guardian, student=world.child, day=MONDAY,
                                       name="刘芳", relation="外婆", phone="13905390000",
                                       now=at(MONDAY, 8, 0)),
             errors.PICKUP_NOT_YOUR_CHILD.format(student="张小明"))
    _refused(lambda: pickup_change_add(actor=day.guardian, student=world.child, day=MONDAY,
                                       name="刘芳", relation="外婆", phone="1390539",
                                       now=at(MONDAY, 8, 0)),
             errors.PICKUP_PHONE_INVALID.format(phone="1390539"))
    _refused(lambda: pickup_change_add(actor=day.guardian, student=world.child, day=MONDAY,
                                       name="刘芳", relation="外婆", phone="13905390000",
                                       now=at(TUESDAY, 8, 0)),
             errors.PICKUP_PAST_DAY.format(day="11月11日（周一）"))
    _refused(lambda: pickup_code_issue(actor=day.guardian, student=world.child,
                                       person_key="g999999", now=at(MONDAY, 8, 0)),
             errors.PICKUP_CODE_PERSON_UNKNOWN.format(student="张小明"))
    _refused(lambda: pickup_code_issue(actor=day.guardian, student=world.sibling,
                                       person_key=f"g{world.guardian.pk}",
                                       now=at(MONDAY, 8, 0)),
             errors.PICKUP_NO_SERVICE.format(student="张小红", day="11月11日（周一）"))
    dismissal_release_to_person(lesson=day.lesson, actor=day.tutor, student_id=world.child.pk,
                                person_key=f"g{world.guardian.pk}", now=at(MONDAY, 17, 52))
    _refused(lambda: pickup_code_issue(actor=day.guardian, student=world.child,
                                       person_key=f"g{world.guardian.pk}",
                                       now=at(MONDAY, 17, 55)),
             errors.PICKUP_ALREADY_RELEASED.format(student="张小明",
                                                   what="17:52 已由 王丽（母亲）接走"))
    assert not PickupChange.objects.exists() and not PickupCode.objects.exists()


def test_the_demo_step_is_idempotent(world):
    """Past days' dismissals through the services; the second run writes nothing."""
    from attendance.dismissal_demo import dismiss_day

    today = timezone.localdate()
    past = today - dt.timedelta(days=1)
    term_around_today(world.term)
    d = build_day(world, day=past)
    Lesson.objects.filter(pk__in=[d.lesson.pk, d.later.pk]).update(
        roll_call_at=at(past, 16, 42))
    f.link_guardian(d.stays, f.GuardianFactory(school=world.school, name="周强"), "父亲")
    first = dismiss_day(term=world.term, day=past, last=True)
    assert first == 6
    assert Dismissal.objects.filter(date=past).count() == 6
    assert DismissalDay.objects.get(date=past).closed_at is not None
    assert dismiss_day(term=world.term, day=past, last=True) == 0
    assert Dismissal.objects.filter(date=past).count() == 6


def test_seed_demo_gives_past_days_dismissals_with_every_kind_of_handover():
    from django.core.management import call_command

    call_command("seed_demo", stdout=None)
    rows = Dismissal.objects.all()
    assert rows.exists()
    assert rows.filter(date__gte=timezone.localdate()).count() == 0  # past days only
    # Codes need a family login: the demo's families mostly have none (the services refuse a
    # code to anyone but the child's guardian), so the demo's codes depend on the seed.
    assert {"group", "list", "confirmed"} <= set(rows.values_list("via", flat=True))
    assert {"picked_up", "gate", "bus"} <= set(rows.values_list("method", flat=True))
    assert DutyHandover.objects.filter(reason="overdue").exists()
    assert DismissalDay.objects.filter(closed_at__isnull=False).exists()
    count = rows.count()
    call_command("seed_demo", stdout=None)
    assert Dismissal.objects.count() == count
