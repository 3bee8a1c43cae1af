"""Reads of the core: querysets with their joins applied, so no template queries per row."""

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from . import access
from .cleaning import mask_phone
from .models import (
    AccountLink,
    Homeroom,
    Notice,
    NoticePreference,
    RoleAssignment,
    School,
    Staff,
    Student,
    StudentGuardian,
    Term,
)


def current_term(school: School | None) -> Term | None:
    if school is None:
        return None
    return (Term.objects.filter(school=school, is_current=True).prefetch_related("periods").first()
            or Term.objects.filter(school=school).prefetch_related("periods")
            .order_by("-start_date").first())


def term_of(actor) -> Term | None:
    """The current term of the actor's school, looked up once per request.

    The home page's panels, and the views that show them, each need it: an Actor lives for
    one request (``access.actor_from_request``), so it keeps the answer.
    """
    if actor.school is None:
        return None
    # The same term as current_term() in one query: the current one, else the latest. Its
    # periods are not prefetched: no home panel shows them.
    return actor.remember("current_term", lambda: Term.objects.filter(school=actor.school)
                          .order_by("-is_current", "-start_date").first())


def notices_for(user, school: School | None) -> QuerySet[Notice]:
    qs = Notice.objects.filter(user=user)
    return qs.filter(school=school) if school else qs


def notice_preference_of(user) -> NoticePreference:
    """The person's notice settings; the defaults (unsaved) until they first save them."""
    return NoticePreference.objects.filter(user=user).first() or NoticePreference(user=user)


def pending_account_link_count(user) -> int:
    return AccountLink.objects.filter(user=user, status=AccountLink.Status.PENDING).count()


def schools_and_pending_links(user) -> tuple[list[School], int]:
    """The login's schools (the home page's switcher) and how many account links wait for its
    answer: one query, each school row carrying the same count."""
    pending = (AccountLink.objects.filter(user=user, status=AccountLink.Status.PENDING)
               .values("user").annotate(n=Count("pk")).values("n"))
    schools = list(access.schools_of(user).annotate(pending_links=Coalesce(Subquery(pending), 0)))
    if not schools:
        return [], pending_account_link_count(user)
    return schools, schools[0].pending_links


def account_links_with_details(qs: QuerySet[AccountLink]) -> QuerySet[AccountLink]:
    """Newest first within each status, with the school, the staff or guardian record and the
    guardian's children the link would attach."""
    return (qs.select_related("school", "staff", "guardian", "requested_by")
            .prefetch_related(Prefetch(
                "guardian__student_links",
                queryset=StudentGuardian.objects.select_related("student")))
            .order_by("status", "-created_at"))


def district_schools_with_counts(qs: QuerySet[School]) -> QuerySet[School]:
    """The district's schools with their size: counts only, no person's details."""
    return qs.annotate(
        homeroom_count=Count("homerooms", distinct=True),
        student_count=Count("students", filter=Q(students__is_active=True), distinct=True),
    ).order_by("name")


def homerooms_with_counts(qs: QuerySet[Homeroom]) -> QuerySet[Homeroom]:
    return qs.select_related("grade", "head_teacher").annotate(
        student_count=Count("students", filter=Q(students__is_active=True)),
        boarder_count=Count("students", filter=Q(students__is_active=True,
                                                 students__is_boarder=True)),
    ).order_by("grade__number", "number")


def school_homerooms_counted(actor) -> list[Homeroom]:
    """The actor's school's homerooms with their children counted, read once per request:
    the office's home page shows them in the statistics and in the capacity panel."""
    return actor.remember("school_homerooms_counted", lambda: list(
        homerooms_with_counts(Homeroom.objects.filter(school=actor.school))))


def students_with_guardians(qs: QuerySet[Student]) -> QuerySet[Student]:
    return qs.select_related("homeroom__grade").prefetch_related(
        Prefetch("guardian_links",
                 queryset=StudentGuardian.objects.select_related("guardian")
                 .order_by("-is_primary", "pk")))


def staff_with_roles(qs: QuerySet[Staff]) -> QuerySet[Staff]:
    return qs.select_related("user").prefetch_related(
        "homerooms__grade",
        Prefetch("user__role_assignments", queryset=RoleAssignment.objects.all()),
    ).order_by("is_external", "name")


def staff_with_pending_links(qs: QuerySet[Staff]) -> QuerySet[Staff]:
    """:func:`staff_with_roles` and each person's unanswered account links (``pending_links``)."""
    return staff_with_roles(qs).prefetch_related(
        Prefetch("account_links", to_attr="pending_links",
                 queryset=AccountLink.objects.filter(status=AccountLink.Status.PENDING)))


def letters_for_homeroom(homeroom: Homeroom) -> list[dict]:
    """One letter per family: siblings in the homeroom share a guardian and a letter."""
    students = students_with_guardians(
        Student.objects.filter(homeroom=homeroom, is_active=True)).order_by("student_no")
    letters: dict[int, dict] = {}
    for student in students:
        links = list(student.guardian_links.all())
        if not links:
            continue
        guardian = links[0].guardian
        letter = letters.setdefault(guardian.pk, {"guardian": guardian, "students": [],
                                                  "masked_phone": mask_phone(guardian.phone)})
        letter["students"].append(student)
    return list(letters.values())
