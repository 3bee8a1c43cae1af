"""The demo's dismissals (放学交接): the last service days before today, as a school lives them.

A demo step of its own (``afterschool.demo.register_demo_step``, joined in
``AttendanceConfig.ready`` after the roll calls' step). For each of the last
:data:`DAYS` days with roll calls before today, every lesson's children are released through
the dismissal services at a plausible minute after the end, by the lesson's tutor: the
children going alone escorted to the gate and each bus route to its bus in one tap, boarders to
the dormitory, and the children picked up to a person on their list — half of those whose
guardian has a login by the guardian's pickup code. On some days one child is not collected in time: handed to the duty
teacher (the record the sweep writes) and released by them a few minutes later. On the last
day one child is collected by someone not on the list, whom the duty teacher confirms.

Idempotent: a child released already is skipped (one release per child per day), so a second
run writes nothing. Deterministic: one seed per day. Notices are not sent for past days.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.utils import timezone

from afterschool.access import actor_for
from afterschool.models import Guardian
from afterschool.selectors import current_term

from .duty import duty_staff_on, office_staff_of
from .models import AttendanceRecord, Dismissal, DutyHandover, Lesson
from .selectors import IN_SCHOOL, WAY_PICKED_UP, last_lesson_records, ways_home
from .services import (
    dismissal_hand_to_duty,
    dismissal_release_by_code,
    dismissal_release_group,
    dismissal_release_to_person,
    duty_release,
    pickup_code_issue,
)

SEED = 20261212
DAYS = 5
CODE_SHARE = 0.5
UNLISTED = ("刘芳", "姑姑", "13905391234")
CONFIRM_NOTE = "已电话联系母亲确认，由姑姑代接"


def dismissal_demo(demo: dict, stdout=None) -> None:
    """The demo step."""
    school = demo.get("school")
    term = current_term(school) if school is not None else None
    if term is None:
        return
    days = past_days(term)
    released = 0
    for index, day in enumerate(days):
        released += dismiss_day(term=term, day=day, last=index == len(days) - 1)
    if stdout is not None and released:
        stdout.write(f"{school.name}：演示放学交接 {released} 人（{len(days)} 天）。")


def past_days(term, today: dt.date | None = None) -> list[dt.date]:
    """The last :data:`DAYS` days before today with roll calls (fewer under the test settings,
    whose roll calls cover ``DEMO_ROLL_CALL_DAYS``)."""
    today = today or timezone.localdate()
    dates = (Lesson.objects.filter(term=term, date__lt=today, roll_call_at__isnull=False,
                                   is_cancelled=False)
             .order_by("-date").values_list("date", flat=True).distinct())
    limit = min(DAYS, getattr(settings, "DEMO_ROLL_CALL_DAYS", DAYS) or DAYS)
    return sorted(dates[:limit])


def _at(day: dt.date, time: dt.time, minutes: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time)) + dt.timedelta(minutes=minutes)


def dismiss_day(*, term, day: dt.date, last: bool) -> int:
    """Release every child still to release on ``day``; returns how many were released."""
    school = term.school
    rng = random.Random(f"{SEED}:{day}")
    done = set(Dismissal.objects.filter(school=school, date=day).values_list("student_id",
                                                                              flat=True))
    records = [r for r in last_lesson_records(day=day, school_id=school.pk)
               .filter(status__in=IN_SCHOOL).exclude(student_id__in=done)
               .select_related("student", "lesson").order_by("lesson__end_time", "lesson_id",
                                                             "student_id")]
    if not records:
        return 0
    ways = ways_home([r.student for r in records], day=day)
    by_lesson: dict[int, list[AttendanceRecord]] = {}
    for record in records:
        by_lesson.setdefault(record.lesson_id, []).append(record)
    lessons = {x.pk: x for x in Lesson.objects.filter(pk__in=list(by_lesson))
               .select_related("term", "substitute__user").prefetch_related("tutors__user")}
    actors: dict[int, object] = {}
    first_guardians = {int(w.persons[0].key[1:]) for w in ways.values()
                       if w.persons and w.persons[0].source == "guardian"}
    logins = {g.pk: g.user for g in Guardian.objects.filter(
        pk__in=first_guardians, user__isnull=False).select_related("user")}

    def actor_of(user):
        if user.pk not in actors:
            actors[user.pk] = actor_for(user, school)
        return actors[user.pk]

    duty_users = duty_staff_on(school.pk, day) or office_staff_of(school.pk)
    duty = actor_of(duty_users[0]) if duty_users else None
    # Someone is late on two days of three; on the last day another is collected by a person
    # not on the list.
    picked = [r for r in records if ways[r.student_id].way == WAY_PICKED_UP
              and ways[r.student_id].persons]
    late = rng.choice(picked) if picked and duty and rng.random() < 0.67 else None
    unlisted = None
    if last and duty and len(picked) > 1:
        unlisted = rng.choice([r for r in picked if r is not late])
    released = 0
    for lesson_id, rows in by_lesson.items():
        lesson = lessons[lesson_id]
        staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
        tutor = actor_of(staff.user) if staff is not None and staff.user else duty
        if tutor is None:
            continue
        end = lesson.end_time
        groups: dict[tuple[str, str], list[int]] = {}
        for record in rows:
            way = ways[record.student_id]
            if record is late or record is unlisted:
                continue
            if way.way == WAY_PICKED_UP:
                if not way.persons:
                    continue  # nobody to hand to: the duty teacher's page shows the child
                released += _pick_up(record, way, lesson=lesson, tutor=tutor, rng=rng,
                                     logins=logins, now=_at(day, end, rng.randint(1, 12)))
            else:
                groups.setdefault((way.way, way.route), []).append(record.student_id)
        for (way, route), ids in sorted(groups.items()):
            released += len(dismissal_release_group(
                lesson=lesson, actor=tutor, way=way, route=route, student_ids=ids,
                now=_at(day, end, rng.randint(1, 4)), notify=False))
    if late is not None:
        # What the sweep records, without the day's notices of long ago.
        DutyHandover.objects.get_or_create(
            student_id=late.student_id, date=day,
            defaults={"school": school, "lesson": late.lesson,
                      "reason": DutyHandover.Reason.OVERDUE,
                      "handed_at": _at(day, late.lesson.end_time, 20),
                      "escalated_at": _at(day, late.lesson.end_time, 20)})
        duty_release(actor=duty, student_id=late.student_id, how="person",
                     person_key=ways[late.student_id].persons[0].key,
                     now=_at(day, late.lesson.end_time, 28), notify=False)
        released += 1
    if unlisted is not None:
        lesson = lessons[unlisted.lesson_id]
        staff = lesson.substitute or next(iter(lesson.tutors.all()), None)
        tutor = actor_of(staff.user) if staff is not None and staff.user else duty
        name, relation, phone = UNLISTED
        dismissal_hand_to_duty(lesson=lesson, actor=tutor, student_id=unlisted.student_id,
                               name=name, relation=relation, phone=phone,
                               now=_at(day, lesson.end_time, 3), notify=False)
        duty_release(actor=duty, student_id=unlisted.student_id, how="confirm",
                     note=CONFIRM_NOTE, now=_at(day, lesson.end_time, 9), notify=False)
        released += 1
    return released


def _pick_up(record, way, *, lesson, tutor, rng, logins, now) -> int:
    """To the first person on the list; by the guardian's code when that guardian has a login
    (a share of them), else picked from the list."""
    person = way.persons[0]
    guardian_user = logins.get(int(person.key[1:])) if person.source == "guardian" else None
    if guardian_user is not None and rng.random() < CODE_SHARE:
        family = actor_for(guardian_user, lesson.term.school)
        code = pickup_code_issue(actor=family, student=record.student, person_key=person.key,
                                 now=now - dt.timedelta(minutes=30))
        dismissal_release_by_code(lesson=lesson, actor=tutor, student_id=record.student_id,
                                  code=code.code, now=now, notify=False)
    else:
        dismissal_release_to_person(lesson=lesson, actor=tutor, student_id=record.student_id,
                                    person_key=person.key, now=now, notify=False)
    return 1
