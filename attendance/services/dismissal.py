"""Dismissal (放学交接): who has each child at every minute, from the last lesson to home.

The chain of custody of one child on one day:

1. the tutor of the child's last lesson (or its substitute) has the child until the release;
2. a child not released ``AttendancePolicy.dismissal_handover_minutes`` after that lesson ends
   is handed to the day's duty teacher by :func:`dismissals_sweep` (beat, every minute), and
   the office is told; a child collected by someone not on the list is handed over at once by
   the tutor (:func:`dismissal_hand_to_duty`) for the duty teacher to check;
3. the release (:class:`~attendance.models.Dismissal`) records who handed over, to whom, how
   and when — one per child per day, by a unique constraint.

Every release of a school's day first locks that day's :class:`DismissalDay` row: releases of
one school are serialised (a short wait at the 17:20 peak), so the release that leaves nobody in
school always sees it and closes the day ("全员离校"), and a second release of the same child
sees the first. The constraint stays as the last word.

Who may release: the lesson's tutor or substitute for the children of that lesson; the day's
duty teachers (:func:`attendance.duty.duty_staff_on`) and the office for any child of the
school (escalations reach the office, which may have to act when no duty teacher can).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Student, StudentGuardian
from afterschool.notifications import NoticeSpec, notices_send

from .. import exceptions as errors
from ..access import on_duty
from ..display import day_label, dismissal_text, record_label
from ..duty import duty_staff_on, office_staff_of
from ..models import (
    AttendancePolicy,
    AttendanceRecord,
    Dismissal,
    DismissalDay,
    DutyHandover,
    Lesson,
    PickupCode,
    PickupCodeFailure,
)
from ..selectors import (
    IN_SCHOOL,
    WAY_ALONE,
    WAY_BUS,
    WAY_DORMITORY,
    WAY_PICKED_UP,
    WayHome,
    last_lesson_records,
    later_lessons_of,
    releases_on,
    ways_home,
)
from .roll_call import may_take_roll_call

Method = Dismissal.Method
Via = Dismissal.Via
Reason = DutyHandover.Reason

AS_TUTOR = "tutor"
AS_DUTY = "duty"
# Wrong pickup codes: this many within these minutes stop code entry for the lesson (or, on
# the duty teacher's page, for the person). Six digits, five tries: one chance in 200,000.
CODE_FAILURE_LIMIT = 5
CODE_FAILURE_MINUTES = 10
CODE_PATTERN = re.compile(r"^\d{6}$")
PHONE_PATTERN = re.compile(r"^1\d{10}$")
DEFAULT_HANDOVER_MINUTES = AttendancePolicy._meta.get_field("dismissal_handover_minutes").default
GROUP_METHODS = {WAY_ALONE: Method.GATE, WAY_BUS: Method.BUS, WAY_DORMITORY: Method.DORMITORY}
DORMITORY_NAME = "宿舍"


class PickupCodeRefused(errors.DismissalError):
    """A code that does not release this child (wrong, expired, used, another child's): it
    counts towards the limit of wrong codes."""


@dataclass
class _Child:
    record: AttendanceRecord
    way: WayHome

    @property
    def student(self) -> Student:
        return self.record.student


# ---------------------------------------------------------------------------- who may


def may_dismiss(actor: Actor, lesson: Lesson) -> bool:
    """The lesson's substitute (else its tutors), or whoever is on duty that day."""
    return may_take_roll_call(actor, lesson) or on_duty(actor, lesson.date)


def _custody(actor: Actor, lesson: Lesson) -> str:
    if may_take_roll_call(actor, lesson):
        return AS_TUTOR
    if on_duty(actor, lesson.date):
        return AS_DUTY
    raise errors.DismissalError(errors.DISMISSAL_NOT_YOURS.format(lesson=lesson.title))


def _check_lesson(lesson: Lesson, now: dt.datetime) -> None:
    if lesson.is_cancelled:
        raise errors.DismissalError(errors.DISMISSAL_CANCELLED.format(lesson=lesson.title))
    if lesson.date != timezone.localdate(now):
        raise errors.DismissalError(errors.DISMISSAL_OTHER_DAY.format(
            lesson=lesson.title, day=day_label(lesson.date)))


# ---------------------------------------------------------------------------- the children


def _children_of_lesson(lesson: Lesson, student_ids: list[int]) -> dict[int, _Child]:
    """The children of ``lesson`` it dismisses, in school: every id must be one, or the whole
    request is refused naming the first that is not."""
    if not student_ids:
        raise errors.DismissalError(errors.DISMISSAL_NOTHING)
    records = {r.student_id: r for r in last_lesson_records(day=lesson.date, lesson=lesson)
               .filter(student_id__in=student_ids).select_related("student", "lesson")}
    for student_id in student_ids:
        record = records.get(student_id)
        if record is None:
            on_lesson = (lesson.records.filter(student_id=student_id)
                         .select_related("student").first())
            if on_lesson is None:
                raise errors.DismissalError(errors.DISMISSAL_NOT_ON_LESSON.format(
                    student=student_id, lesson=lesson.title))
            later = later_lessons_of(lesson)[student_id]
            raise errors.DismissalError(errors.DISMISSAL_LATER_LESSON.format(
                student=on_lesson.student.name, later=later.title,
                start=f"{later.start_time:%H:%M}"))
        if record.status not in IN_SCHOOL:
            raise errors.DismissalError(errors.DISMISSAL_NOT_PRESENT.format(
                student=record.student.name, lesson=lesson.title,
                status=record_label(record.status)))
    ways = ways_home([records[sid].student for sid in student_ids], day=lesson.date)
    return {sid: _Child(records[sid], ways[sid]) for sid in student_ids}


def _child_in_school(school_id: int, student_id: int, day: dt.date) -> _Child:
    """A child of the school expected at dismissal on ``day`` (the duty teacher's page)."""
    record = (last_lesson_records(day=day, school_id=school_id).filter(student_id=student_id)
              .select_related("student", "lesson").first())
    if record is None:
        student = Student.objects.filter(pk=student_id, school_id=school_id).first()
        raise errors.DismissalError(errors.DISMISSAL_NOT_EXPECTED.format(
            student=student.name if student else f"学生（编号 {student_id}）"))
    if record.status not in IN_SCHOOL:
        raise errors.DismissalError(errors.DISMISSAL_NOT_PRESENT.format(
            student=record.student.name, lesson=record.lesson.title,
            status=record_label(record.status)))
    way = ways_home([record.student], day=day)[student_id]
    return _Child(record, way)


# ---------------------------------------------------------------------------- writing releases


def _lock_day(school_id: int, day: dt.date) -> DismissalDay:
    DismissalDay.objects.get_or_create(school_id=school_id, date=day)
    return DismissalDay.objects.select_for_update().get(school_id=school_id, date=day)


def _already(dismissal: Dismissal) -> errors.DismissalError:
    by = dismissal.released_by.get_full_name() if dismissal.released_by else "其他老师"
    return errors.DismissalError(errors.DISMISSAL_ALREADY.format(
        student=dismissal.student.name, what=dismissal_text(dismissal), by=by))


def _write(*, school_id: int, day: dt.date, children: dict[int, _Child],
           rows: list[Dismissal], actor: Actor, now: dt.datetime, notify: bool
           ) -> list[Dismissal]:
    """Write the releases (all or none), then notify and close the day if it is done. Runs
    inside the caller's transaction, after :func:`_lock_day`."""
    existing = releases_on(list(children), day)
    for row in rows:
        if row.student_id in existing:
            found = existing[row.student_id]
            found.student = children[row.student_id].student
            raise _already(found)
    for row in rows:
        row.clean_fields(exclude=["school", "student", "lesson", "pickup_code", "confirmed_by",
                                  "released_by"])
    try:
        with transaction.atomic():
            Dismissal.objects.bulk_create(rows)
    except IntegrityError:
        # Another phone released one of them between the check and the insert (possible only
        # when a caller skipped the day lock): the constraint answers, with the same message.
        existing = releases_on(list(children), day)
        found = next(existing[r.student_id] for r in rows if r.student_id in existing)
        found.student = children[found.student_id].student
        raise _already(found) from None
    DismissalDay.objects.filter(school_id=school_id, date=day).update(
        released=F("released") + len(rows))
    if notify:
        _tell_families(school_id, [(children[r.student_id].student, r) for r in rows])
    _close_if_done(school_id, day, now)
    return rows


def _close_if_done(school_id: int, day: dt.date, now: dt.datetime) -> bool:
    """Stamp the day closed when every child in school at their last lesson is released."""
    released = Dismissal.objects.filter(school_id=school_id, date=day).values("student_id")
    remaining = (last_lesson_records(day=day, school_id=school_id)
                 .filter(status__in=IN_SCHOOL).exclude(student_id__in=released).exists())
    if remaining:
        return False
    DismissalDay.objects.filter(school_id=school_id, date=day, closed_at__isnull=True).update(
        closed_at=now)
    return True


def _release_row(child: _Child, *, school_id: int, day: dt.date, actor: Actor,
                 released_as: str, now: dt.datetime, method: str, via: str, **fields
                 ) -> Dismissal:
    return Dismissal(school_id=school_id, student=child.student, date=day,
                     lesson=child.record.lesson, method=method, via=via,
                     released_by=actor.user, released_as=released_as, released_at=now,
                     **fields)


def _person_fields(person) -> dict:
    return {"to_name": person.name, "to_relation": person.relation, "to_phone": person.phone}


def _tell_families(school_id: int, released: list[tuple[Student, Dismissal]]) -> None:
    """An in-app notice (and an e-mail where the family gave one) to each guardian with a
    login: "张小明 17:52 已由 王丽（母亲）接走"."""
    from afterschool.models import School

    ids = [student.pk for student, _ in released]
    links = (StudentGuardian.objects.filter(student_id__in=ids, guardian__user__isnull=False)
             .select_related("guardian__user").order_by("pk"))
    guardians: dict[int, list] = {}
    for link in links:
        guardians.setdefault(link.student_id, []).append(link.guardian)
    specs = []
    for student, dismissal in released:
        text = dismissal_text(dismissal)
        for guardian in guardians.get(student.pk, []):
            specs.append(NoticeSpec(
                user=guardian.user, title=f"{student.name}已放学：{text}",
                body=f"{student.name}{day_label(dismissal.date)}{text}。",
                url=reverse("attendance:pickup", args=[student.pk]), email=guardian.email,
                key=f"dismissal:{student.pk}:{dismissal.date:%Y%m%d}"))
    if specs:
        notices_send(school=School(pk=school_id), specs=specs)


# ---------------------------------------------------------------------------- the tutor's taps


@transaction.atomic
def dismissal_release_group(*, lesson: Lesson, actor: Actor, way: str, route: str = "",
                            student_ids: list[int], now: dt.datetime | None = None,
                            notify: bool = True) -> list[Dismissal]:
    """One tap for a group: the children going home alone escorted to the gate, a bus route's
    children to the bus, the boarders to the dormitory. ``student_ids`` are the children the
    page showed; one already released, or not of that group, refuses the whole tap."""
    now = now or timezone.now()
    lesson = Lesson.objects.select_related("term").get(pk=lesson.pk)
    released_as = _custody(actor, lesson)
    _check_lesson(lesson, now)
    method = GROUP_METHODS.get(way)
    school_id = lesson.term.school_id
    _lock_day(school_id, lesson.date)
    children = _children_of_lesson(lesson, list(dict.fromkeys(student_ids)))
    group = f"{way}:{route}" if way == WAY_BUS else way
    for child in children.values():
        if method is None or child.way.group_key != group:
            raise errors.DismissalError(errors.DISMISSAL_WRONG_GROUP.format(
                student=child.student.name, way=child.way.label,
                group=WayHome(way if method else WAY_PICKED_UP, route=route).label))
    rows = [_release_row(child, school_id=school_id, day=lesson.date, actor=actor,
                         released_as=released_as, now=now, method=method, via=Via.GROUP,
                         bus_route=route if way == WAY_BUS else "",
                         to_name=DORMITORY_NAME if way == WAY_DORMITORY else "")
            for child in children.values()]
    return _write(school_id=school_id, day=lesson.date, children=children, rows=rows,
                  actor=actor, now=now, notify=notify)


@transaction.atomic
def dismissal_release_to_person(*, lesson: Lesson, actor: Actor, student_id: int,
                                person_key: str, now: dt.datetime | None = None,
                                notify: bool = True) -> Dismissal:
    """A child handed to a person the tutor picks from the child's authorised list."""
    now = now or timezone.now()
    lesson = Lesson.objects.select_related("term").get(pk=lesson.pk)
    released_as = _custody(actor, lesson)
    _check_lesson(lesson, now)
    school_id = lesson.term.school_id
    _lock_day(school_id, lesson.date)
    children = _children_of_lesson(lesson, [student_id])
    return _release_to_listed(children, school_id=school_id, day=lesson.date, actor=actor,
                              released_as=released_as, person_key=person_key, now=now,
                              notify=notify)


def _release_to_listed(children: dict[int, _Child], *, school_id, day, actor, released_as,
                       person_key, now, notify) -> Dismissal:
    (child,) = children.values()
    person = child.way.person(person_key or "")
    if person is None:
        raise errors.DismissalError(errors.DISMISSAL_PERSON_UNKNOWN.format(
            student=child.student.name), field="person")
    row = _release_row(child, school_id=school_id, day=day, actor=actor,
                       released_as=released_as, now=now, method=Method.PICKED_UP,
                       via=Via.LIST, **_person_fields(person))
    return _write(school_id=school_id, day=day, children=children, rows=[row], actor=actor,
                  now=now, notify=notify)[0]


# ---------------------------------------------------------------------------- pickup codes


def _failures(*, lesson: Lesson | None, actor: Actor, now: dt.datetime) -> int:
    since = now - dt.timedelta(minutes=CODE_FAILURE_MINUTES)
    qs = PickupCodeFailure.objects.filter(at__gt=since, at__lte=now)
    qs = qs.filter(lesson=lesson) if lesson is not None else qs.filter(user=actor.user,
                                                                       lesson__isnull=True)
    return qs.count()


def _guarded(*, lesson: Lesson | None, actor: Actor, now: dt.datetime, attempt):
    """Run ``attempt(left)`` unless too many wrong codes were tried lately; a refused code is
    counted (outside the refused transaction, so the count survives its rollback)."""
    failed = _failures(lesson=lesson, actor=actor, now=now)
    if failed >= CODE_FAILURE_LIMIT:
        template = errors.PICKUP_CODE_LOCKED if lesson else errors.PICKUP_CODE_LOCKED_USER
        raise errors.DismissalError(template.format(minutes=CODE_FAILURE_MINUTES,
                                                    limit=CODE_FAILURE_LIMIT), field="code")
    try:
        return attempt(CODE_FAILURE_LIMIT - failed - 1)
    except PickupCodeRefused:
        PickupCodeFailure.objects.create(lesson=lesson, user=actor.user, at=now)
        raise


def normalise_code(code: str) -> str:
    """Digits as typed on any keyboard: full-width digits and spaces are forgiven."""
    code = (code or "").strip().translate({0xFF10 + i: ord("0") + i for i in range(10)})
    return code.replace(" ", "")


def _code_for(child: _Child, *, school_id: int, day: dt.date, code: str, left: int,
              now: dt.datetime) -> PickupCode:
    found = (PickupCode.objects.select_for_update().filter(school_id=school_id, code=code)
             .select_related("student").order_by("-date").first())
    if found is None:
        raise PickupCodeRefused(errors.PICKUP_CODE_WRONG.format(code=code, left=max(left, 0)),
                                field="code")
    if found.date != day or found.expires_at <= now:
        raise PickupCodeRefused(errors.PICKUP_CODE_EXPIRED.format(
            code=code, day=day_label(found.date)), field="code")
    if found.student_id != child.student.pk:
        raise PickupCodeRefused(errors.PICKUP_CODE_OTHER_CHILD.format(
            code=code, other=found.student.name, student=child.student.name), field="code")
    if found.used_at is not None:
        raise PickupCodeRefused(errors.PICKUP_CODE_USED.format(
            code=code, at=f"{timezone.localtime(found.used_at):%H:%M}"), field="code")
    return found


def _release_with_code(children, *, school_id, day, actor, released_as, code, left, now,
                       notify) -> Dismissal:
    (child,) = children.values()
    pickup = _code_for(child, school_id=school_id, day=day, code=code, left=left, now=now)
    row = _release_row(child, school_id=school_id, day=day, actor=actor,
                       released_as=released_as, now=now, method=Method.PICKED_UP,
                       via=Via.CODE, pickup_code=pickup, to_name=pickup.person_name,
                       to_relation=pickup.person_relation, to_phone=pickup.person_phone)
    released = _write(school_id=school_id, day=day, children=children, rows=[row],
                      actor=actor, now=now, notify=notify)[0]
    pickup.used_at = now
    pickup.save(update_fields=["used_at"])
    return released


def dismissal_release_by_code(*, lesson: Lesson, actor: Actor, student_id: int, code: str,
                              now: dt.datetime | None = None, notify: bool = True) -> Dismissal:
    """A child handed to the person the guardian's one-time code names (typed or scanned).

    Wrong, expired, used or another child's codes are refused and counted for the lesson;
    after :data:`CODE_FAILURE_LIMIT` within :data:`CODE_FAILURE_MINUTES` the lesson takes no
    more codes for a while (the authorised list still works)."""
    now = now or timezone.now()
    code = normalise_code(code)

    @transaction.atomic
    def attempt(left: int) -> Dismissal:
        fresh = Lesson.objects.select_related("term").get(pk=lesson.pk)
        released_as = _custody(actor, fresh)
        _check_lesson(fresh, now)
        if not CODE_PATTERN.match(code):
            raise errors.DismissalError(errors.PICKUP_CODE_REQUIRED, field="code")
        school_id = fresh.term.school_id
        _lock_day(school_id, fresh.date)
        children = _children_of_lesson(fresh, [student_id])
        return _release_with_code(children, school_id=school_id, day=fresh.date, actor=actor,
                                  released_as=released_as, code=code, left=left, now=now,
                                  notify=notify)

    return _guarded(lesson=lesson, actor=actor, now=now, attempt=attempt)


# ---------------------------------------------------------------------------- the duty teacher


def _notify_duty(school_id: int, day: dt.date, title: str, body: str, *,
                 office: bool = False) -> None:
    from afterschool.models import School

    users, seen = [], set()
    for user in duty_staff_on(school_id, day) + (office_staff_of(school_id) if office else []):
        if user.pk not in seen:
            seen.add(user.pk)
            users.append(user)
    if not users:
        users = office_staff_of(school_id)
    url = reverse("attendance:dismissal_campus")
    notices_send(school=School(pk=school_id), specs=[
        NoticeSpec(user=user, title=title[:100], body=body, url=url, email=user.email)
        for user in users])


@transaction.atomic
def dismissal_hand_to_duty(*, lesson: Lesson, actor: Actor, student_id: int, name: str,
                           relation: str, phone: str, now: dt.datetime | None = None,
                           notify: bool = True) -> DutyHandover:
    """Someone not on the child's list came for them: the tutor hands the child, with that
    person's name, relation and phone, to the duty teacher, who checks with the family and
    releases (:func:`duty_release` with ``how="confirm"``) or not."""
    now = now or timezone.now()
    lesson = Lesson.objects.select_related("term").get(pk=lesson.pk)
    _custody(actor, lesson)
    _check_lesson(lesson, now)
    name, relation, phone = (name or "").strip(), (relation or "").strip(), (phone or "").strip()
    if not name or not relation or not PHONE_PATTERN.match(phone):
        raise errors.DismissalError(errors.DISMISSAL_UNLISTED_NEEDS, field="unlisted")
    school_id = lesson.term.school_id
    _lock_day(school_id, lesson.date)
    children = _children_of_lesson(lesson, [student_id])
    child = children[student_id]
    existing = releases_on([student_id], lesson.date)
    if existing:
        found = existing[student_id]
        found.student = child.student
        raise _already(found)
    handover, _ = DutyHandover.objects.update_or_create(
        student_id=student_id, date=lesson.date,
        defaults={"school_id": school_id, "lesson": lesson, "reason": Reason.UNLISTED,
                  "person_name": name[:50], "person_relation": relation[:20],
                  "person_phone": phone, "handed_by": actor.user, "handed_at": now})
    student = child.student
    if notify:
        _notify_duty(school_id, lesson.date,
                     f"名单外接送人待确认：{student.name}",
                     f"{student.name}（{lesson.title}）由{name}（{relation}，{phone}）来接，"
                     "不在授权名单上。请与家长核实后在放学页面确认。")
    return handover


def duty_release(*, actor: Actor, student_id: int, how: str, person_key: str = "",
                 code: str = "", note: str = "", now: dt.datetime | None = None,
                 notify: bool = True) -> Dismissal:
    """The duty teacher (or the office) releases a child still in school, whoever's lesson it
    was: to a listed person (``how="person"``), by the guardian's code (``"code"``), to the
    person at the gate not on the list, after checking with the family (``"confirm"``, with
    ``note`` saying how), or by the child's own way home (``"way"``: gate, bus, dormitory)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if not on_duty(actor, day):
        raise errors.DismissalError(errors.DISMISSAL_NOT_DUTY.format(day=day_label(day)))
    school_id = actor.school.pk
    if how == "code":
        code = normalise_code(code)

        @transaction.atomic
        def attempt(left: int) -> Dismissal:
            if not CODE_PATTERN.match(code):
                raise errors.DismissalError(errors.PICKUP_CODE_REQUIRED, field="code")
            _lock_day(school_id, day)
            child = _child_in_school(school_id, student_id, day)
            return _release_with_code({student_id: child}, school_id=school_id, day=day,
                                      actor=actor, released_as=AS_DUTY, code=code, left=left,
                                      now=now, notify=notify)

        return _guarded(lesson=None, actor=actor, now=now, attempt=attempt)
    return _duty_release_other(actor=actor, school_id=school_id, day=day,
                               student_id=student_id, how=how, person_key=person_key,
                               note=note, now=now, notify=notify)


@transaction.atomic
def _duty_release_other(*, actor, school_id, day, student_id, how, person_key, note, now,
                        notify) -> Dismissal:
    _lock_day(school_id, day)
    child = _child_in_school(school_id, student_id, day)
    children = {student_id: child}
    if how == "person":
        return _release_to_listed(children, school_id=school_id, day=day, actor=actor,
                                  released_as=AS_DUTY, person_key=person_key, now=now,
                                  notify=notify)
    if how == "confirm":
        handover = DutyHandover.objects.filter(student_id=student_id, date=day,
                                               reason=Reason.UNLISTED).first()
        if handover is None:
            raise errors.DismissalError(errors.DISMISSAL_NOT_UNLISTED.format(
                student=child.student.name))
        note = (note or "").strip()
        if not note:
            raise errors.DismissalError(errors.DISMISSAL_CONFIRM_NOTE, field="note")
        if len(note) > 200:
            raise errors.DismissalError(errors.DISMISSAL_NOTE_TOO_LONG.format(length=len(note)),
                                        field="note")
        row = _release_row(child, school_id=school_id, day=day, actor=actor,
                           released_as=AS_DUTY, now=now, method=Method.PICKED_UP,
                           via=Via.CONFIRMED, to_name=handover.person_name,
                           to_relation=handover.person_relation,
                           to_phone=handover.person_phone, confirmed_by=actor.user, note=note)
        return _write(school_id=school_id, day=day, children=children, rows=[row],
                      actor=actor, now=now, notify=notify)[0]
    method = GROUP_METHODS.get(child.way.way)
    if how != "way" or method is None:
        raise errors.DismissalError(errors.DISMISSAL_WRONG_GROUP.format(
            student=child.student.name, way=child.way.label, group="按离校方式放学"))
    row = _release_row(child, school_id=school_id, day=day, actor=actor, released_as=AS_DUTY,
                       now=now, method=method, via=Via.GROUP, bus_route=child.way.route,
                       to_name=DORMITORY_NAME if method == Method.DORMITORY else "")
    return _write(school_id=school_id, day=day, children=children, rows=[row], actor=actor,
                  now=now, notify=notify)[0]


# ---------------------------------------------------------------------------- the sweep


def dismissals_sweep(*, now: dt.datetime | None = None) -> int:
    """Hand every child not released ``dismissal_handover_minutes`` after their last lesson
    ended to the day's duty teachers, with the list, and tell the office. Periodic (beat, every
    minute); safe to run twice: a child is handed over once a day (a constraint). Returns how
    many children were handed over now."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    local_now = timezone.localtime(now)
    policies = dict(AttendancePolicy.objects.values_list("school_id",
                                                         "dismissal_handover_minutes"))
    shortest = min([DEFAULT_HANDOVER_MINUTES, *policies.values()])
    latest_end = (local_now - dt.timedelta(minutes=shortest))
    if latest_end.date() != day:
        return 0
    released = Dismissal.objects.filter(date=day).values("student_id")
    handed = DutyHandover.objects.filter(date=day).values("student_id")
    candidates = list(
        last_lesson_records(day=day).filter(status__in=IN_SCHOOL,
                                            lesson__end_time__lte=latest_end.time())
        .exclude(student_id__in=released).exclude(student_id__in=handed)
        .select_related("student__homeroom__grade", "lesson__term").order_by("lesson__end_time"))
    by_school: dict[int, list[AttendanceRecord]] = {}
    for record in candidates:
        school_id = record.lesson.term.school_id
        wait = policies.get(school_id, DEFAULT_HANDOVER_MINUTES)
        ends = timezone.make_aware(dt.datetime.combine(day, record.lesson.end_time))
        if ends + dt.timedelta(minutes=wait) <= now:
            by_school.setdefault(school_id, []).append(record)
    total = 0
    for school_id, records in by_school.items():
        with transaction.atomic():
            # The day is under way for the office's panel even before anyone was released.
            DismissalDay.objects.get_or_create(school_id=school_id, date=day)
            made = DutyHandover.objects.bulk_create(
                [DutyHandover(school_id=school_id, student_id=r.student_id, date=day,
                              lesson=r.lesson, reason=Reason.OVERDUE, handed_at=now,
                              escalated_at=now) for r in records], ignore_conflicts=True)
            total += len(made)
            wait = policies.get(school_id, DEFAULT_HANDOVER_MINUTES)
            names = "；".join(f"{r.student.homeroom}{r.student.name}（{r.lesson.title}）"
                             for r in records[:30])
            more = f"等 {len(records)} 人" if len(records) > 30 else ""
            _notify_duty(school_id, day,
                         f"放学超时：{len(records)} 名学生已移交值日教师",
                         f"下课 {wait} 分钟后仍未离校：{names}{more}。请到放学页面逐一交接；"
                         "课后服务办公室已同时收到此通知。", office=True)
    return total


def pickup_code_lookup(*, actor: Actor, code: str, now: dt.datetime | None = None
                       ) -> PickupCode:
    """What a scanned QR code opens: today's unused code of the actor's school, with its child
    (the page then shows the child for the release). Wrong codes count for the person."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    code = normalise_code(code)

    def attempt(left: int) -> PickupCode:
        if not CODE_PATTERN.match(code):
            raise errors.DismissalError(errors.PICKUP_CODE_REQUIRED, field="code")
        found = (PickupCode.objects.filter(school_id=actor.school.pk, code=code)
                 .select_related("student__homeroom__grade").order_by("-date").first())
        if found is None:
            raise PickupCodeRefused(errors.PICKUP_CODE_WRONG.format(code=code, left=max(left, 0)))
        if found.date != day or found.expires_at <= now:
            raise PickupCodeRefused(errors.PICKUP_CODE_EXPIRED.format(
                code=code, day=day_label(found.date)))
        if found.used_at is not None:
            raise PickupCodeRefused(errors.PICKUP_CODE_USED.format(
                code=code, at=f"{timezone.localtime(found.used_at):%H:%M}"))
        return found

    return _guarded(lesson=None, actor=actor, now=now, attempt=attempt)
