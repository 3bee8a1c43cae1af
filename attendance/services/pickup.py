"""The family's side of dismissal: who collects the child today, and the one-time pickup code.

- :func:`pickup_change_add` / :func:`pickup_change_remove`: a guardian names someone for one
  day ("今天由外婆接"); that day the child is picked up, and the person is on the list.
- :func:`pickup_code_issue`: a six-digit code (and its QR code) naming who comes, valid until
  the end of the day, used once. The tutor types or scans it at the gate
  (:func:`attendance.services.dismissal.dismissal_release_by_code`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Student, StudentGuardian

from .. import exceptions as errors
from ..display import day_label, dismissal_text
from ..models import AttendanceRecord, Dismissal, PickupChange, PickupCode
from ..selectors import ways_home
from .dismissal import PHONE_PATTERN

MAX_DAY_PERSONS = 3
CODE_TRIES = 20


def _is_guardian_of(actor: Actor, student: Student) -> bool:
    return actor.guardian is not None and StudentGuardian.objects.filter(
        student=student, guardian=actor.guardian).exists()


def _check_family(actor: Actor, student: Student, day: dt.date, now: dt.datetime) -> None:
    if not _is_guardian_of(actor, student):
        raise errors.DismissalError(errors.PICKUP_NOT_YOUR_CHILD.format(student=student.name))
    if day < timezone.localdate(now):
        raise errors.DismissalError(errors.PICKUP_PAST_DAY.format(day=day_label(day)))
    released = Dismissal.objects.filter(student=student, date=day).first()
    if released is not None:
        raise errors.DismissalError(errors.PICKUP_ALREADY_RELEASED.format(
            student=student.name, what=dismissal_text(released)))


@transaction.atomic
def pickup_change_add(*, actor: Actor, student: Student, day: dt.date, name: str,
                      relation: str, phone: str, now: dt.datetime | None = None
                      ) -> PickupChange:
    """Someone collects the child on ``day`` (today or later): authorised that day only."""
    now = now or timezone.now()
    student = Student.objects.select_for_update().get(pk=student.pk)
    _check_family(actor, student, day, now)
    name, relation, phone = (name or "").strip(), (relation or "").strip(), (phone or "").strip()
    if not name or not relation or not phone:
        raise errors.DismissalError(errors.PICKUP_PERSON_FIELDS, field="name")
    if not PHONE_PATTERN.match(phone):
        raise errors.DismissalError(errors.PICKUP_PHONE_INVALID.format(phone=phone),
                                    field="phone")
    existing = list(PickupChange.objects.filter(student=student, date=day))
    if any(c.phone == phone for c in existing):
        raise errors.DismissalError(errors.PICKUP_DUPLICATE.format(
            name=name, phone=phone, student=student.name, day=day_label(day)), field="phone")
    if len(existing) >= MAX_DAY_PERSONS:
        raise errors.DismissalError(errors.PICKUP_TOO_MANY.format(
            student=student.name, day=day_label(day)))
    change = PickupChange(student=student, date=day, name=name[:50], relation=relation[:20],
                          phone=phone, created_by=actor.user, created_at=now)
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def pickup_change_remove(*, actor: Actor, change: PickupChange,
                         now: dt.datetime | None = None) -> None:
    """Take the day's person off again (before the child is released); a code naming them
    goes with them."""
    now = now or timezone.now()
    change = PickupChange.objects.select_related("student").select_for_update(
        of=("self",)).get(pk=change.pk)
    _check_family(actor, change.student, change.date, now)
    PickupCode.objects.filter(student=change.student, date=change.date, used_at__isnull=True,
                              person_phone=change.phone).delete()
    change.delete()


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


@transaction.atomic
def pickup_code_issue(*, actor: Actor, student: Student, person_key: str,
                      now: dt.datetime | None = None) -> PickupCode:
    """Today's one-time code for the child, naming who comes (one of the authorised persons).
    Asking again replaces the code (the old one stops working)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    student = Student.objects.select_for_update().get(pk=student.pk)
    _check_family(actor, student, day, now)
    if not AttendanceRecord.objects.filter(student=student, lesson__date=day,
                                           lesson__is_cancelled=False).exists():
        raise errors.DismissalError(errors.PICKUP_NO_SERVICE.format(student=student.name,
                                                                    day=day_label(day)))
    person = ways_home([student], day=day)[student.pk].person(person_key or "")
    if person is None:
        raise errors.DismissalError(errors.PICKUP_CODE_PERSON_UNKNOWN.format(
            student=student.name), field="person")
    fields = {"school_id": student.school_id, "person_name": person.name,
              "person_relation": person.relation, "person_phone": person.phone,
              "created_by": actor.user, "created_at": now, "expires_at": _end_of(day),
              "used_at": None}
    for _ in range(CODE_TRIES):
        fields["code"] = f"{secrets.randbelow(10 ** 6):06d}"
        try:
            with transaction.atomic():
                code, _ = PickupCode.objects.update_or_create(student=student, date=day,
                                                              defaults=fields)
            return code
        except IntegrityError:
            continue  # the same six digits are another child's today: draw again
    raise errors.DismissalError("接送码生成失败，请稍后重试。")
