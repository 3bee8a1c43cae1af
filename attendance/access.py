"""Who may see which rows of attendance: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`: views fetch through these, so "missing"
and "not yours" both answer 404.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------- leave and alerts
# (part B; the imports stay inside the functions so the two halves of this module do not
# tread on each other's import block)


def leave_requests_visible_to(actor):
    """Leave requests: a guardian's own children's, a homeroom teacher's homeroom's, the whole
    school's for the office and the principal."""
    from django.db.models import Q

    from afterschool.models import Role

    from .models import LeaveRequest

    qs = LeaveRequest.objects.select_related("student__homeroom__grade", "term")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(student__school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(student__homeroom__head_teacher=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        condition |= Q(student__guardian_links__guardian=actor.guardian)
    return qs.filter(condition).distinct()


def leave_in_scope(actor, role: str, leave) -> bool:
    """Whether ``actor`` acting as ``role`` is responsible for this leave's child."""
    from afterschool.models import Role, StudentGuardian

    if role == Role.COORDINATOR:
        return leave.student.school_id == actor.school.pk
    if role == Role.HOMEROOM_TEACHER:
        return actor.staff is not None and leave.student.homeroom.head_teacher_id == actor.staff.pk
    if role == Role.GUARDIAN:
        return actor.guardian is not None and StudentGuardian.objects.filter(
            student_id=leave.student_id, guardian=actor.guardian).exists()
    return False


def alerts_visible_to(actor):
    """Absence alerts: the office, the principal and the duty teachers see the school's; a
    homeroom teacher their homeroom's; a tutor their lessons'; a guardian their children's."""
    from django.db.models import Q

    from afterschool.models import Role

    from .models import AbsenceAlert

    qs = AbsenceAlert.objects.select_related("student__homeroom__grade", "lesson",
                                             "handled_by", "record")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(student__school=actor.school)
    if actor.is_school_wide or actor.has(Role.DUTY_TEACHER):
        return qs
    condition = Q(pk__in=[])
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(student__homeroom__head_teacher=actor.staff)
    if actor.staff is not None:
        condition |= Q(lesson__tutors=actor.staff) | Q(lesson__substitute=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        condition |= Q(student__guardian_links__guardian=actor.guardian)
    return qs.filter(condition).distinct()


def may_handle_alert(actor, alert) -> bool:
    """Who records what became of an absent child: the office, the duty teachers, the child's
    homeroom teacher, the lesson's tutors and the child's guardians (a parent who has the
    child at home says so)."""
    from afterschool.models import Role, StudentGuardian

    if actor.school is None or alert.student.school_id != actor.school.pk:
        return False
    if actor.has(Role.COORDINATOR, Role.DUTY_TEACHER):
        return True
    staff = actor.staff
    if staff is not None:
        if actor.has(Role.HOMEROOM_TEACHER) and alert.student.homeroom.head_teacher_id == staff.pk:
            return True
        if alert.lesson.substitute_id == staff.pk or alert.lesson.tutors.filter(
                pk=staff.pk).exists():
            return True
    return (actor.has(Role.GUARDIAN) and actor.guardian is not None
            and StudentGuardian.objects.filter(student_id=alert.student_id,
                                               guardian=actor.guardian).exists())


# ---------------------------------------------------------------------------- lessons and records
# (part A; imports inside the functions, as above)


def lessons_visible_to(actor):
    """Lessons: the office and the principal the school's; a tutor the lessons they teach or
    substitute; a homeroom teacher their homeroom's (its reading, its homeroom-mode groups, and
    every lesson one of its children is expected at). Guardians see records, not lessons."""
    from django.db.models import Q

    from afterschool.models import Role

    from .models import AttendanceRecord, Lesson

    qs = Lesson.objects.select_related("term", "period", "homeroom", "substitute",
                                       "roll_call_by")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(term__school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.staff is not None:
        condition |= Q(pk__in=Lesson.tutors.through.objects.filter(
            staff=actor.staff).values("lesson_id")) | Q(substitute=actor.staff)
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(homeroom__head_teacher=actor.staff) | Q(
            pk__in=AttendanceRecord.objects.filter(
                student__homeroom__head_teacher=actor.staff).values("lesson_id"))
    return qs.filter(condition)


def records_visible_to(actor):
    """Records: the school's for the office and the principal; a tutor's lessons'; a homeroom
    teacher's homeroom's children; a guardian's own children's."""
    from django.db.models import Q

    from afterschool.models import Role

    from .models import AttendanceRecord, Lesson

    qs = AttendanceRecord.objects.select_related("lesson", "student__homeroom__grade")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(lesson__term__school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.staff is not None:
        condition |= Q(lesson__in=Lesson.tutors.through.objects.filter(
            staff=actor.staff).values("lesson_id")) | Q(lesson__substitute=actor.staff)
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(student__homeroom__head_teacher=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        condition |= Q(student__guardian_links__guardian=actor.guardian)
    return qs.filter(pk__in=qs.filter(condition).values("pk"))


def calendar_days_visible_to(actor):
    """The calendar entries of the actor's school (everyone at the school may read them)."""
    from .models import CalendarDay

    if actor.school is None:
        return CalendarDay.objects.none()
    return CalendarDay.objects.filter(term__school=actor.school).select_related("grade", "term")


def substitutions_visible_to(actor):
    """Substitution orders: the office and the principal."""
    from .models import SubstitutionOrder

    if actor.school is None or not actor.is_school_wide:
        return SubstitutionOrder.objects.none()
    return SubstitutionOrder.objects.filter(term__school=actor.school).select_related(
        "tutor", "substitute", "lesson", "created_by")


# ---------------------------------------------------------------------------- dismissal (放学交接)


def on_duty(actor, day) -> bool:
    """The day's duty teachers (:func:`attendance.duty.duty_staff_on`) and the office answer
    for every child still in school: the campus dismissal page and its releases."""
    from .duty import duty_staff_on

    if actor.school is None or actor.user is None:
        return False
    if actor.is_coordinator:
        return True
    # Asked by the page, its panel and its service in one request: the roster is read once.
    return actor.remember(("on_duty", day), lambda: any(
        user.pk == actor.user.pk for user in duty_staff_on(actor.school.pk, day)))


def dismissal_lessons_visible_to(actor, day=None):
    """Lessons whose dismissal page the actor may open: their own lessons (as for the roll
    call), and every lesson of ``day`` (default today) for whoever is on duty then."""
    from django.db.models import Q
    from django.utils import timezone

    day = day or timezone.localdate()
    mine = lessons_visible_to(actor)
    if actor.school is None or not on_duty(actor, day):
        return mine
    everyone = lessons_visible_to(_school_wide_view(actor))
    return everyone.filter(Q(pk__in=mine.values("pk")) | Q(date=day))


def _school_wide_view(actor):
    """The same person seen with the office's reach (for the duty day's lessons only)."""
    from dataclasses import replace

    from afterschool.models import Role

    return replace(actor, roles=actor.roles | {Role.COORDINATOR}, memo={})


def pickup_changes_visible_to(actor):
    """A family's day changes of who collects: the guardian's own children's."""
    from .models import PickupChange

    if actor.school is None or actor.guardian is None:
        return PickupChange.objects.none()
    return PickupChange.objects.filter(student__school=actor.school,
                                       student__guardian_links__guardian=actor.guardian)
