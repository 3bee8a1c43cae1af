"""Who may see what: decided here, once, and nowhere else.

Every view resolves the signed-in person into an :class:`Actor` for one school (their roles
there, their staff and guardian profiles) and fetches rows through a ``<entity>_visible_to``
function, so "missing" and "not yours" both answer 404. Apps above the core add their own
scoping functions next to their models (``enrollment/access.py`` …) built on the same Actor,
and may widen who sees a student (a tutor sees the children of their sections) by registering a
scope with :func:`register_student_scope` — the core never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import (
    AccountEvent,
    Grade,
    Guardian,
    Homeroom,
    ImportJob,
    Role,
    RoleAssignment,
    School,
    Staff,
    Student,
)

SCHOOL_WIDE = frozenset({Role.COORDINATOR, Role.PRINCIPAL})
# The granted roles a coordinator ranks above: a login holding only these (plus the roles that
# follow from staff and guardian rows) in the coordinator's school may have its password reset.
RESETTABLE_GRANTS = frozenset({Role.DUTY_TEACHER})
SESSION_SCHOOL_KEY = "school_id"


@dataclass(frozen=True)
class Actor:
    """A signed-in person as seen by one school."""

    user: object
    school: School | None
    roles: frozenset = field(default_factory=frozenset)
    staff: Staff | None = None
    guardian: Guardian | None = None
    district: str = ""

    def has(self, *roles) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_school_wide(self) -> bool:
        return bool(self.roles & SCHOOL_WIDE)

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.roles

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in Role.values if r in self.roles]


ANONYMOUS = Actor(user=None, school=None)


def schools_of(user) -> QuerySet[School]:
    """Every school in which this login holds some role."""
    if not user or not user.is_authenticated:
        return School.objects.none()
    # Subqueries, not joins: joining staff × guardians × roles multiplies rows before DISTINCT.
    districts = RoleAssignment.objects.filter(
        user=user, role=Role.DISTRICT_OFFICER).values("district")
    return School.objects.filter(
        Q(pk__in=Staff.objects.filter(user=user, is_active=True).values("school_id"))
        | Q(pk__in=Guardian.objects.filter(user=user).values("school_id"))
        | Q(pk__in=RoleAssignment.objects.filter(user=user, school__isnull=False)
            .values("school_id"))
        | Q(district__in=districts)
    ).order_by("name")


def actor_for(user, school: School | None) -> Actor:
    if not user or not user.is_authenticated:
        return ANONYMOUS
    district_roles = list(RoleAssignment.objects.filter(
        user=user, role=Role.DISTRICT_OFFICER).values_list("district", flat=True))
    district = district_roles[0] if district_roles else ""
    if school is None:
        roles = {Role.DISTRICT_OFFICER} if district else set()
        return Actor(user=user, school=None, roles=frozenset(roles), district=district)
    roles = set(RoleAssignment.objects.filter(user=user, school=school)
                .values_list("role", flat=True))
    if district and school.district == district:
        roles.add(Role.DISTRICT_OFFICER)
    staff = Staff.objects.filter(user=user, school=school, is_active=True).first()
    if staff:
        roles.add(Role.EXTERNAL_INSTRUCTOR if staff.is_external else Role.TUTOR)
        if Homeroom.objects.filter(head_teacher=staff).exists():
            roles.add(Role.HOMEROOM_TEACHER)
    guardian = Guardian.objects.filter(user=user, school=school).first()
    if guardian and guardian.student_links.exists():
        roles.add(Role.GUARDIAN)
    return Actor(user=user, school=school, roles=frozenset(roles), staff=staff,
                 guardian=guardian, district=district)


def actor_from_request(request) -> Actor:
    """The request's Actor, for the school chosen in the session (or the first one)."""
    cached = getattr(request, "_actor", None)
    if cached is not None:
        return cached
    user = request.user
    if not user.is_authenticated:
        request._actor = ANONYMOUS
        return ANONYMOUS
    schools = schools_of(user)
    wanted = request.session.get(SESSION_SCHOOL_KEY)
    school = None
    if wanted:
        school = schools.filter(pk=wanted).first()
    if school is None:
        # A district officer works across schools; others land in their first school.
        own = RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_OFFICER).exists()
        school = None if own and not wanted else schools.first()
    request._actor = actor_for(user, school)
    return request._actor


def login_is_within(user, school: School) -> bool:
    """True when every role of this login is in ``school`` and below its coordinator.

    Only such a login may have its password set by that school: a reset by its coordinator, or
    a code the coordinator reissued. Rows waiting for the owner's acceptance are not roles
    (their ``user`` is still empty); a login with no role at all belongs to no school.
    """
    if user is None or user.is_superuser or user.is_staff:
        return False
    grants = RoleAssignment.objects.filter(user=user)
    if grants.exclude(school=school, role__in=RESETTABLE_GRANTS).exists():
        return False
    if (Staff.objects.filter(user=user).exclude(school=school).exists()
            or Guardian.objects.filter(user=user).exclude(school=school).exists()):
        return False
    return (grants.exists() or Staff.objects.filter(user=user, school=school).exists()
            or Guardian.objects.filter(user=user, school=school).exists())


def may_reset_password(actor: Actor, user) -> bool:
    """The coordinator may reset a login of their own school that ranks below them."""
    return (actor.is_coordinator and actor.school is not None and user is not None
            and user.pk != getattr(actor.user, "pk", None)
            and login_is_within(user, actor.school))


def require(actor: Actor, *roles) -> None:
    """Refuse (403) unless the actor holds one of these roles in the current school."""
    if not actor.has(*roles):
        raise PermissionDenied("您没有权限执行此操作。")


# ---------------------------------------------------------------- scoping, one per entity

_student_scopes: list[Callable[[Actor], Q | None]] = []


def register_student_scope(scope: Callable[[Actor], Q | None]) -> None:
    """Let an app above the core widen who sees a student (called from AppConfig.ready)."""
    if scope not in _student_scopes:
        _student_scopes.append(scope)


def grades_visible_to(actor: Actor) -> QuerySet[Grade]:
    if actor.school is None:
        return Grade.objects.none()
    return Grade.objects.filter(school=actor.school)


def homerooms_visible_to(actor: Actor) -> QuerySet[Homeroom]:
    qs = Homeroom.objects.select_related("grade", "head_teacher")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        return qs.filter(head_teacher=actor.staff)
    return qs.none()


def students_visible_to(actor: Actor) -> QuerySet[Student]:
    qs = Student.objects.select_related("homeroom__grade", "school")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    condition = Q(pk__in=[])
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        condition |= Q(homeroom__head_teacher=actor.staff)
    if actor.has(Role.GUARDIAN) and actor.guardian:
        condition |= Q(guardian_links__guardian=actor.guardian)
    for scope in _student_scopes:
        extra = scope(actor)
        if extra is not None:
            condition |= extra
    return qs.filter(condition).distinct()


def children_of(actor: Actor) -> QuerySet[Student]:
    """A guardian's own children in this school (empty for anyone else)."""
    if actor.school is None or actor.guardian is None:
        return Student.objects.none()
    return (Student.objects.select_related("homeroom__grade")
            .filter(school=actor.school, guardian_links__guardian=actor.guardian,
                    is_active=True).distinct())


def guardians_visible_to(actor: Actor) -> QuerySet[Guardian]:
    qs = Guardian.objects.all()
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    if actor.has(Role.HOMEROOM_TEACHER) and actor.staff:
        return qs.filter(student_links__student__homeroom__head_teacher=actor.staff).distinct()
    if actor.guardian:
        return qs.filter(pk=actor.guardian.pk)
    return qs.none()


def staff_visible_to(actor: Actor) -> QuerySet[Staff]:
    qs = Staff.objects.select_related("user")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.is_school_wide:
        return qs
    if actor.staff:
        return qs.filter(pk=actor.staff.pk)
    return qs.none()


def account_events_visible_to(actor: Actor) -> QuerySet[AccountEvent]:
    """The school's record of account changes: for its principal and coordinators."""
    if actor.school is None or not actor.is_school_wide:
        return AccountEvent.objects.none()
    return AccountEvent.objects.filter(school=actor.school)


def import_jobs_visible_to(actor: Actor) -> QuerySet[ImportJob]:
    if actor.school is None or not actor.is_coordinator:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(school=actor.school)


def schools_visible_to(actor: Actor) -> QuerySet[School]:
    """District officers see every school of their district; others their own school."""
    if actor.district:
        return School.objects.filter(district=actor.district)
    if actor.school is None:
        return School.objects.none()
    return School.objects.filter(pk=actor.school.pk)
