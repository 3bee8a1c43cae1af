"""Who sees an application, and in which capacity someone may act on one.

Only the child's own guardians, the homeroom teacher and the school office (coordinator,
principal) see an application. This deliberately does not use
``afterschool.access.students_visible_to``: apps above may widen who sees a *student* (a tutor
sees the children of their sections), but health notes and pickup persons stay with these few.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from afterschool.access import Actor, children_of, homerooms_visible_to
from afterschool.models import Role, Student, StudentGuardian
from afterschool.workflow import SYSTEM, Move

from .models import Application
from .transitions import EDITABLE, REJOIN, WITHDRAW, move_for, moves_from


def applications_visible_to(actor: Actor) -> QuerySet[Application]:
    qs = Application.objects.select_related("student__homeroom__grade", "term", "school")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    # Subqueries, not joins: no duplicates, no DISTINCT.
    return qs.filter(
        Q(student__homeroom__in=homerooms_visible_to(actor).values("pk"))
        | Q(student__in=children_of(actor).values("pk")))


def reviewable_students(actor: Actor) -> QuerySet[Student]:
    """The students whose applications this person reviews: homeroom or whole school."""
    qs = Student.objects.select_related("homeroom__grade", "homeroom__head_teacher")
    if actor.school is None or not actor.has(Role.HOMEROOM_TEACHER, Role.COORDINATOR,
                                             Role.PRINCIPAL):
        return qs.none()
    return qs.filter(school=actor.school, is_active=True,
                     homeroom__in=homerooms_visible_to(actor).values("pk"))


def is_guardian_of(actor: Actor, student_id: int) -> bool:
    if actor.guardian is None or not actor.has(Role.GUARDIAN):
        return False
    return StudentGuardian.objects.filter(student_id=student_id,
                                          guardian=actor.guardian).exists()


def in_scope(actor: Actor, role: str, application: Application) -> bool:
    """May this person act *as this role* on this application (their homeroom, their child)?"""
    if actor.school is None or application.school_id != actor.school.pk:
        return False
    if role == Role.COORDINATOR:
        return True
    if role == Role.HOMEROOM_TEACHER:
        return (actor.staff is not None
                and application.student.homeroom.head_teacher_id == actor.staff.pk)
    if role == Role.GUARDIAN:
        return is_guardian_of(actor, application.student_id)
    return False


def acting_role(actor: Actor, application: Application, roles) -> tuple[str | None, bool]:
    """The first of ``roles`` this actor holds and may use on this application.

    Returns ``(role, held)``: ``role`` is None when none applies; ``held`` says whether the
    actor holds one of the roles at all (to tell "not your role" from "not your student").
    """
    held = False
    for role in roles:
        if not actor.has(role):
            continue
        held = True
        if in_scope(actor, role, application):
            return role, True
    return None, held


def review_moves_for(actor: Actor, application: Application) -> list[tuple[str, Move]]:
    """The decisions this person may take on this application, as the table allows.

    Not the guardian's own moves (submitting happens on the form, withdrawing on its page)
    and not placing (the arrangement app's).
    """
    if application.status in EDITABLE:
        return []
    moves = []
    for to_status, move in moves_from(application.status):
        if move in (WITHDRAW, REJOIN) or to_status == Application.Status.PLACED:
            continue
        if acting_role(actor, application, [r for r in move.roles if r != SYSTEM])[0]:
            moves.append((to_status, move))
    return moves


def may_withdraw(actor: Actor, application: Application) -> bool:
    if move_for(application.status, Application.Status.WITHDRAWN) is None:
        return False
    return acting_role(actor, application, WITHDRAW.roles)[0] is not None


def may_rejoin(actor: Actor, application: Application) -> bool:
    """A guardian of the child may take a withdrawal back (the window is the service's check)."""
    if move_for(application.status, Application.Status.DRAFT) is not REJOIN:
        return False
    return acting_role(actor, application, REJOIN.roles)[0] is not None
