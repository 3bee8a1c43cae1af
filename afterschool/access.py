"""Who may see what: decided here, once, and nowhere else.

Every view resolves the signed-in person into an :class:`Actor` for one school (their roles
there, their staff and guardian profiles) and fetches rows through a ``<entity>_visible_to``
function, so "missing" and "not yours" both answer 404. Apps above the core add their own
scoping functions next to their models (``enrollment/access.py`` …) built on the same Actor,
and may widen who sees a student (a tutor sees the children of their sections) by registering a
scope with :func:`register_student_scope` — the core never imports them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet

from .models import (
    AccountEvent,
    AccountLink,
    Delivery,
    Grade,
    Guardian,
    Homeroom,
    ImportJob,
    Role,
    RoleAssignment,
    School,
    SensitiveAccess,
    Staff,
    Student,
    StudentGuardian,
    Term,
)
from .params import parse_id

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
    # What one request computes once and asks again (the term, the published run): see
    # remember(). An Actor lives for one request, so this is per-request memoisation.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key, compute: Callable):
        """``compute()`` once for this Actor; the home page's panels ask the same things."""
        if self.user is None:  # ANONYMOUS is shared by every anonymous request
            return compute()
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

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


# Roles a RoleAssignment may grant in a school (a district officer's names a district instead),
# each a bit of the sum the Actor query returns: (user, role, school) is unique, so the sum of
# the rows' bits is their union.
_SCHOOL_GRANTS = tuple(r for r in Role.values if r != Role.DISTRICT_OFFICER)


@dataclass
class _Seen:
    """What the Actor query found of one login in one school."""

    school: School
    staff: Staff | None
    guardian: Guardian | None
    granted: frozenset
    user_district: str
    in_district: bool
    heads_homeroom: bool
    has_children: bool
    term: Term | None = None

    @property
    def is_member(self) -> bool:
        """The login holds some role here: the test of :func:`schools_of`."""
        return bool(self.staff or self.guardian or self.granted or self.in_district)


def _columns(model, alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


@functools.cache
def _actor_sql(by_pk: bool) -> str:
    """The Actor query: the school, the login's staff and guardian rows there and the
    school's current term (outer joins) and its roles (scalar subqueries), one row. Written
    as SQL because the same query built with the ORM (filtered relations, eleven ``Exists``)
    cost more to build and compile than the seven small queries it replaces; this text is
    built once per process."""
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    bits = " ".join(f"WHEN '{role}' THEN {1 << i}" for i, role in enumerate(_SCHOOL_GRANTS))
    assert all(role.replace("_", "").isalnum() for role in Role.values)
    ra, district = table(RoleAssignment), Role.DISTRICT_OFFICER.value
    member = (f"(st.id IS NOT NULL OR g.id IS NOT NULL OR EXISTS (SELECT 1 FROM {ra} r "
              f"WHERE r.user_id = %(user)s AND r.school_id = s.id) OR EXISTS (SELECT 1 FROM {ra} r "
              f"WHERE r.user_id = %(user)s AND r.role = '{district}' AND r.district = s.district))")
    return f"""
        SELECT {_columns(School, "s")}, {_columns(Staff, "st")}, {_columns(Guardian, "g")},
          {_columns(Term, "t")},
          (SELECT COALESCE(SUM(CASE r.role {bits} ELSE 0 END), 0) FROM {ra} r
            WHERE r.user_id = %(user)s AND r.school_id = s.id),
          (SELECT r.district FROM {ra} r WHERE r.user_id = %(user)s AND r.role = '{district}'
            ORDER BY r.id LIMIT 1),
          EXISTS (SELECT 1 FROM {ra} r WHERE r.user_id = %(user)s AND r.role = '{district}'
            AND r.district = s.district),
          EXISTS (SELECT 1 FROM {table(Homeroom)} h WHERE h.head_teacher_id = st.id),
          EXISTS (SELECT 1 FROM {table(StudentGuardian)} sg WHERE sg.guardian_id = g.id)
        FROM {table(School)} s
        LEFT JOIN {table(Staff)} st ON st.school_id = s.id AND st.user_id = %(user)s
          AND st.is_active = %(true)s
        LEFT JOIN {table(Guardian)} g ON g.school_id = s.id AND g.user_id = %(user)s
        LEFT JOIN {table(Term)} t ON t.id = (SELECT t2.id FROM {table(Term)} t2
          WHERE t2.school_id = s.id ORDER BY t2.is_current DESC, t2.start_date DESC LIMIT 1)
        WHERE {"s.id = %(school)s" if by_pk else member}
        ORDER BY s.name, s.id, st.name, st.id, g.name, g.id
        LIMIT 1"""


def _instance(model, values: list):
    """A model instance from raw column values, converted as the ORM's own queries do."""
    fields = model._meta.concrete_fields
    converted = []
    for f, value in zip(fields, values, strict=True):
        col = f.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def _seen_by(user, school_id: int | None = None) -> _Seen | None:
    """One query: ``user`` in the school ``school_id``, or in their first school by name."""
    with connection.cursor() as cursor:
        cursor.execute(_actor_sql(school_id is not None),
                       {"user": user.pk, "school": school_id, "true": True})
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    parts = []
    for model in (School, Staff, Guardian, Term):
        n = len(model._meta.concrete_fields)
        parts.append(row[:n])
        row = row[n:]
    granted, user_district, in_district, heads_homeroom, has_children = row
    return _Seen(
        term=_instance(Term, parts[3]) if parts[3][0] is not None else None,
        school=_instance(School, parts[0]),
        staff=_instance(Staff, parts[1]) if parts[1][0] is not None else None,
        guardian=_instance(Guardian, parts[2]) if parts[2][0] is not None else None,
        granted=frozenset(role for i, role in enumerate(_SCHOOL_GRANTS)
                          if int(granted or 0) & (1 << i)),
        user_district=user_district or "", in_district=bool(in_district),
        heads_homeroom=bool(heads_homeroom), has_children=bool(has_children))


def _actor_of(user, seen: _Seen, school: School | None = None) -> Actor:
    """The Actor of what :func:`_seen_by` found (``school``: the caller's own instance)."""
    school = school or seen.school
    roles = set(seen.granted)
    if seen.user_district and school.district == seen.user_district:
        roles.add(Role.DISTRICT_OFFICER)
    if seen.staff is not None:
        seen.staff._state.fields_cache["school"] = school
        roles.add(Role.EXTERNAL_INSTRUCTOR if seen.staff.is_external else Role.TUTOR)
        if seen.heads_homeroom:
            roles.add(Role.HOMEROOM_TEACHER)
    if seen.guardian is not None:
        seen.guardian._state.fields_cache["school"] = school
        if seen.has_children:
            roles.add(Role.GUARDIAN)
    # The school's current term came with the same row (what selectors.term_of reads; None
    # when the school has no term): an Actor lives for one request, so it is never stale.
    if seen.term is not None:
        seen.term._state.fields_cache["school"] = school
    return Actor(user=user, school=school, roles=frozenset(roles), staff=seen.staff,
                 guardian=seen.guardian, district=seen.user_district,
                 memo={"current_term": seen.term})


def _district_actor(user, district: str | None = None) -> Actor:
    """A login seen by no school: a district officer's view of the district, or nobody."""
    if district is None:
        district = (RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_OFFICER)
                    .order_by("pk").values_list("district", flat=True).first()) or ""
    roles = {Role.DISTRICT_OFFICER} if district else set()
    return Actor(user=user, school=None, roles=frozenset(roles), district=district)


def actor_for(user, school: School | None) -> Actor:
    """The Actor of ``user`` in ``school`` (None: a district officer's view), in one query."""
    if not user or not user.is_authenticated:
        return ANONYMOUS
    if school is None:
        return _district_actor(user)
    seen = _seen_by(user, school.pk)
    if seen is None:  # the school is gone: no role in it
        return Actor(user=user, school=school)
    return _actor_of(user, seen, school)


def actor_from_request(request) -> Actor:
    """The request's Actor, for the school chosen in the session (or the first one).

    One query when the session names a school the login still holds a role in — every request
    after the first, which stores the school it lands in. Roles are read afresh each request,
    so a role granted or taken away counts from the next one: there is no cache to invalidate.
    """
    cached = getattr(request, "_actor", None)
    if cached is not None:
        return cached
    user = request.user
    if not user.is_authenticated:
        request._actor = ANONYMOUS
        return ANONYMOUS
    wanted = parse_id(request.session.get(SESSION_SCHOOL_KEY))
    seen = _seen_by(user, wanted) if wanted else None
    if seen is not None and seen.is_member:
        request._actor = _actor_of(user, seen)
        return request._actor
    seen = _seen_by(user)
    if seen is None:
        request._actor = _district_actor(user)
    elif seen.user_district and not wanted:
        # A district officer works across schools; others land in their first school.
        request._actor = _district_actor(user, seen.user_district)
    else:
        request.session[SESSION_SCHOOL_KEY] = seen.school.pk
        request._actor = _actor_of(user, seen)
    return request._actor


def remember_school_at_login(sender, request, user, **kwargs) -> None:
    """Signing in chooses the school (``user_logged_in``), so that every page after it finds
    the school in the session and resolves the Actor in one query."""
    session = getattr(request, "session", None)
    if session is None or session.get(SESSION_SCHOOL_KEY):
        return
    seen = _seen_by(user)
    if seen is not None and not seen.user_district:  # a district officer lands on the district
        session[SESSION_SCHOOL_KEY] = seen.school.pk


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


def own_children(actor: Actor) -> list[Student]:
    """:func:`children_of` as a list by grade and name, read once per request (the home
    page's panels of the form, the catalog and the arrangement all show the children)."""
    if actor.guardian is None:
        return []
    return actor.remember("own_children", lambda: list(
        children_of(actor).order_by("homeroom__grade__number", "name")))


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


def account_links_of(user) -> QuerySet[AccountLink]:
    """Schools' requests to attach a role to this login: only the login's owner answers them."""
    return AccountLink.objects.filter(user=user)


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


def deliveries_visible_to(actor: Actor) -> QuerySet[Delivery]:
    """E-mails and SMS of the school's notices: for its coordinators (the office)."""
    if actor.school is None or not actor.is_coordinator:
        return Delivery.objects.none()
    return Delivery.objects.filter(notice__school=actor.school)


def sensitive_access_visible_to(actor: Actor) -> QuerySet[SensitiveAccess]:
    """The access log of children's sensitive details: the principal reads the school's; a
    guardian the entries about their own children; nobody else (the office is among those
    the log watches)."""
    if actor.school is None:
        return SensitiveAccess.objects.none()
    qs = SensitiveAccess.objects.filter(school=actor.school)
    if actor.has(Role.PRINCIPAL):
        return qs
    if actor.has(Role.GUARDIAN) and actor.guardian is not None:
        return qs.filter(student__in=children_of(actor).values("pk"))
    return qs.none()
