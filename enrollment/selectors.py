"""Reads of enrollment: querysets with their joins applied, and the numbers the school reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from afterschool import selectors as core_selectors
from afterschool.cleaning import mask_phone
from afterschool.formatting import weekdays_text
from afterschool.models import School, Student, StudentGuardian, Term
from courses.models import Course

from .models import (
    Agreement,
    Application,
    ApplicationTransition,
    Preference,
    PrivacyConsent,
    PrivacyNotice,
    Signature,
)
from .transitions import ANSWERED, APPROVED, FINAL, REJECTED

Status = Application.Status


def current_term(school: School | None) -> Term | None:
    return core_selectors.current_term(school)


def current_agreement(term: Term | None) -> Agreement | None:
    if term is None:
        return None
    return Agreement.objects.filter(term=term).order_by("-version").first()


def courses_open_to(*, term: Term, grade_id: int) -> QuerySet[Course]:
    """The courses a child of this grade may rank: this term's, active, not fixed for all."""
    return (Course.objects
            .filter(term=term, grades=grade_id, is_active=True, is_fixed=False)
            .order_by("category", "name"))


# Choices counted as demand ("enough to open"): submitted forms still in the running.
COUNTED_STATUSES = sorted(ANSWERED - FINAL)


def course_demand() -> dict:
    """Annotations of a Course queryset, registered with the catalog (``courses.demand``):
    ``preference_count`` (any rank) and ``first_choice_count``; distinct because a grade
    filter joins the course's grades."""
    counted = Q(preferences__application__status__in=COUNTED_STATUSES)
    return {
        "preference_count": Count("preferences", filter=counted, distinct=True),
        "first_choice_count": Count("preferences", filter=counted & Q(preferences__rank=1),
                                    distinct=True),
    }


def times_course_chosen(course: Course) -> int:
    """How many forms rank this course, whatever their state."""
    return Preference.objects.filter(course=course).count()


def application_of(*, student: Student, term: Term) -> Application | None:
    """The student's form of the term, if the family started one (one per student per term)."""
    return Application.objects.filter(student=student, term=term).first()


def application_with_details(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related("student__homeroom__grade", "student__homeroom__head_teacher",
                             "term", "school").prefetch_related(
        Prefetch("preferences", queryset=Preference.objects.select_related("course")),
        "pickup_persons",
        Prefetch("signatures", queryset=Signature.objects.select_related("agreement")),
        Prefetch("transitions", queryset=ApplicationTransition.objects.select_related("actor")
                 .order_by("at", "pk")),
    )


def signature_state(application: Application, agreement: Agreement | None) -> str:
    """'not_needed' | 'missing' (no agreement published) | 'unsigned' | 'outdated' | 'current'.

    Reads ``application.signatures.all()``, so prefetch signatures for lists.
    """
    return _signature_state(application.participates, agreement,
                            {s.agreement_id for s in application.signatures.all()})


def needs_signature(application: Application, agreement: Agreement | None, *,
                    participates: bool | None) -> bool:
    """Whether submitting with this answer needs the current agreement signed first: taking
    part, an agreement published, and this version not signed yet."""
    if participates is not True or agreement is None:
        return False
    return agreement.pk not in {s.agreement_id for s in application.signatures.all()}


def latest_signature(application: Application) -> Signature | None:
    signatures = sorted(application.signatures.all(), key=lambda s: (s.signed_at, s.pk))
    return signatures[-1] if signatures else None


# ---------------------------------------------------------------------------- guardians

@dataclass
class ChildForm:
    """One child on a guardian's page: the form's state and what to do next."""

    student: Student
    application: Application | None
    signature: str = ""
    next_label: str = ""
    next_url_name: str = ""
    tone: str = "primary"

    @property
    def status_label(self) -> str:
        if self.application is None:
            return "未填写"
        return self.application.get_status_display()


def children_forms(*, children: QuerySet[Student] | list[Student],
                   term: Term | None) -> list[ChildForm]:
    """Each child with this term's form and the next step, in one query; one more to read
    ``children`` when it is a queryset (a list is kept in its order).

    Whether the term's current agreement is signed is asked of the database with the forms
    (``signed_current``, ``signed_any``), not by reading the agreement and the signatures."""
    if term is None:
        return []
    if isinstance(children, QuerySet):
        children = list(children.order_by("homeroom__grade__number", "name"))
    if not children:
        return []
    current = Agreement.objects.filter(term=term).order_by("-version").values("pk")[:1]
    signatures = Signature.objects.filter(application=OuterRef("pk"))
    apps = {a.student_id: a for a in Application.objects.filter(
        term=term, student__in=[c.pk for c in children]).annotate(
            current_agreement_pk=Subquery(current),
            signed_current=Exists(signatures.filter(agreement=Subquery(current))),
            signed_any=Exists(signatures))}
    result = []
    for child in children:
        app = apps.get(child.pk)
        item = ChildForm(student=child, application=app)
        if app is None:
            item.next_label, item.next_url_name = "填写意向书", "start"
        else:
            item.signature = _state(app.participates, app.current_agreement_pk is not None,
                                    app.signed_current, app.signed_any)
            if app.status in (Status.DRAFT, Status.RETURNED):
                item.next_label = "继续填写" if app.status == Status.DRAFT else "按意见修改"
                item.next_url_name, item.tone = "edit", "warning" if app.status == Status.RETURNED \
                    else "primary"
            elif item.signature == "outdated" and app.status not in (Status.WITHDRAWN, *REJECTED):
                item.next_label, item.next_url_name, item.tone = "重新签署", "sign", "warning"
            else:
                item.next_label, item.next_url_name, item.tone = "查看进度", "detail", "secondary"
        result.append(item)
    return result


# ---------------------------------------------------------------------------- review

BUCKETS = {
    "all": ("全部", None),
    "unanswered": ("未填写", None),
    "submitted": ("待班主任审核", {Status.SUBMITTED}),
    "class_approved": ("待学校复核", {Status.CLASS_APPROVED}),
    "approved": ("已通过", {Status.SCHOOL_APPROVED, Status.PLACED}),
    "returned": ("退回修改", {Status.RETURNED}),
    "rejected": ("未通过", set(REJECTED)),
    "withdrawn": ("已退出", {Status.WITHDRAWN}),
}


def _term_applications(term: Term) -> QuerySet[Application]:
    return Application.objects.filter(term=term, student=OuterRef("pk"))


def review_students(*, students: QuerySet[Student], term: Term, bucket: str = "all",
                    participates: str = "") -> QuerySet[Student]:
    """Students of the reviewer's scope in this bucket, in roster order; a page of them
    becomes rows with :func:`review_rows`."""
    qs = students
    if bucket == "unanswered":
        qs = qs.exclude(Exists(_term_applications(term).exclude(status=Status.DRAFT)))
    elif bucket in BUCKETS and BUCKETS[bucket][1]:
        qs = qs.filter(Exists(_term_applications(term).filter(status__in=BUCKETS[bucket][1])))
    if participates in ("yes", "no"):
        qs = qs.filter(Exists(_term_applications(term).exclude(status=Status.DRAFT)
                              .filter(participates=participates == "yes")))
    return qs.order_by("homeroom__grade__number", "homeroom__number", "student_no")


@dataclass
class ReviewRow:
    """One line of the review queue, with every text it shows worked out here: the page
    renders a hundred of them, and template filters, includes and URL reversing per row
    cost more than the queries."""

    student: Student
    application: Application | None
    guardians: str
    preferences: str
    signature: str
    weekdays: str = ""
    status_short: str = ""
    status_label: str = ""
    status_tone: str = "light"
    detail_url: str = ""
    selectable: bool = False

    @property
    def answered(self) -> bool:
        return self.application is not None and self.application.status != Status.DRAFT


def _signature_state(participates, agreement: Agreement | None, signed: set[int]) -> str:
    return _state(participates, agreement is not None,
                  agreement is not None and agreement.pk in signed, bool(signed))


def _state(participates, published: bool, signed_current: bool, signed_any: bool) -> str:
    """The words of :func:`signature_state`, from what is known of the form's signatures."""
    if participates is False:
        return "not_needed"
    if not published:
        return "missing"
    if signed_current:
        return "current"
    return "outdated" if signed_any else "unsigned"


def review_rows(students, *, term: Term, agreement: Agreement | None) -> list[ReviewRow]:
    """Rows for a page of :func:`review_students`, in four queries whatever its length.

    Preferences, signatures and guardians are read as plain values, not as prefetched model
    instances: Django's prefetch clones a queryset per row and relation, which for a page of
    100 students cost more than the whole template.
    """
    from django.urls import reverse

    from .display import STATUS_SHORT, STATUS_TONE

    students = list(students)
    ids = [s.pk for s in students]
    apps = {a.student_id: a for a in Application.objects.filter(term=term, student_id__in=ids)}
    prefs: dict[int, list[str]] = {}
    for app_id, name in (Preference.objects.filter(application__in=list(apps.values()))
                         .order_by("application_id", "rank").values_list("application_id",
                                                                          "course__name")):
        prefs.setdefault(app_id, []).append(name)
    signed: dict[int, set[int]] = {}
    for app_id, agreement_id in Signature.objects.filter(
            application__in=list(apps.values())).values_list("application_id", "agreement_id"):
        signed.setdefault(app_id, set()).add(agreement_id)
    guardians: dict[int, list[str]] = {}
    for student_id, name, phone in (StudentGuardian.objects.filter(student_id__in=ids)
                                    .order_by("student_id", "-is_primary", "pk")
                                    .values_list("student_id", "guardian__name",
                                                 "guardian__phone")):
        guardians.setdefault(student_id, []).append(f"{name} {mask_phone(phone)}")
    # One reverse() for the page, not one per row.
    detail = reverse("enrollment:detail", args=[1]).rsplit("/1/", 1)
    rows = []
    for student in students:
        app = apps.get(student.pk)
        row = ReviewRow(student=student, application=app,
                        guardians="；".join(guardians.get(student.pk, [])),
                        preferences="", signature="")
        if app is not None:
            row.preferences = " > ".join(prefs.get(app.pk, []))
            row.signature = _signature_state(app.participates, agreement,
                                             signed.get(app.pk, set()))
            row.weekdays = weekdays_text(app.weekdays or [])
            row.status_short = STATUS_SHORT.get(app.status, "")
            row.status_label = app.get_status_display()
            row.status_tone = STATUS_TONE.get(app.status, "light")
            row.detail_url = f"{detail[0]}/{app.pk}/{detail[1]}"
        rows.append(row)
    return rows


def review_counts(*, students: QuerySet[Student], term: Term) -> dict[str, int]:
    """How many students fall in each bucket (two queries)."""
    total = students.count()
    by_status = dict(Application.objects.filter(term=term, student__in=students.values("pk"))
                     .values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    counts = {"all": total}
    answered = sum(n for status, n in by_status.items() if status in ANSWERED)
    counts["unanswered"] = total - answered
    for key, (_, statuses) in BUCKETS.items():
        if statuses:
            counts[key] = sum(by_status.get(s, 0) for s in statuses)
    return counts


# ---------------------------------------------------------------------------- statistics

@dataclass
class StatRow:
    """One line of the participation statistics (a homeroom, a grade, or the school).

    ``answered`` = forms submitted at least once (not drafts), declined and withdrawn ones
    included. It splits two ways: applied + declined + withdrawn, and pending + approved +
    returned + rejected + withdrawn. ``applied`` = answered, chose to participate, not
    withdrawn. Participation rate = applied ÷ students.
    """

    label: str
    grade: str = ""
    teacher: str = ""
    homeroom_id: int | None = None
    students: int = 0
    answered: int = 0
    applied: int = 0
    declined: int = 0
    pending: int = 0
    class_approved: int = 0
    approved: int = 0
    returned: int = 0
    rejected: int = 0
    withdrawn: int = 0
    children: list = field(default_factory=list)

    COUNTS = ("students", "answered", "applied", "declined", "pending", "class_approved",
              "approved", "returned", "rejected", "withdrawn")

    @property
    def unanswered(self) -> int:
        return self.students - self.answered

    @property
    def rate(self) -> float | None:
        return self.applied / self.students if self.students else None

    @property
    def rate_text(self) -> str:
        if not self.students:
            return "—"
        return f"{self.applied:,}/{self.students:,} = {100 * self.applied / self.students:.1f}%"

    def add(self, other: StatRow) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Statistics:
    term: Term
    homerooms: list[StatRow]
    grades: list[StatRow]
    total: StatRow | None
    unfinished: list[StatRow]


def participation_statistics(*, homerooms, term: Term, with_totals: bool) -> Statistics:
    """Per homeroom (and per grade and school when ``with_totals``): two queries in all, one
    when ``homerooms`` is a list already counted (``school_homerooms_counted``)."""
    if not isinstance(homerooms, list):
        homerooms = list(core_selectors.homerooms_with_counts(homerooms))
    rows: dict[int, StatRow] = {}
    for homeroom in homerooms:
        rows[homeroom.pk] = StatRow(
            label=homeroom.name, grade=homeroom.grade.name, homeroom_id=homeroom.pk,
            teacher=homeroom.head_teacher.name if homeroom.head_teacher else "",
            students=homeroom.student_count)
    counts = (Application.objects
              .filter(term=term, student__is_active=True, student__homeroom__in=list(rows))
              .values_list("student__homeroom_id", "status", "participates")
              .annotate(n=Count("pk")).order_by())
    for homeroom_id, status, participates, n in counts:
        row = rows[homeroom_id]
        if status not in ANSWERED:
            continue
        row.answered += n
        if status == Status.WITHDRAWN:
            row.withdrawn += n
            continue
        if participates:
            row.applied += n
        else:
            row.declined += n
        if status == Status.SUBMITTED:
            row.pending += n
        elif status in APPROVED:
            row.approved += n
            if status == Status.CLASS_APPROVED:
                row.class_approved += n
        elif status == Status.RETURNED:
            row.returned += n
        elif status in REJECTED:
            row.rejected += n
    ordered = [rows[h.pk] for h in homerooms]
    grades: list[StatRow] = []
    total = None
    if with_totals:
        by_grade: dict[str, StatRow] = {}
        for row in ordered:
            grade = by_grade.setdefault(row.grade, StatRow(label=f"{row.grade}合计",
                                                           grade=row.grade))
            grade.add(row)
            grade.children.append(row)
        grades = list(by_grade.values())
        total = StatRow(label="全校合计")
        for grade in grades:
            total.add(grade)
    unfinished = [row for row in ordered if row.pending]
    return Statistics(term=term, homerooms=ordered, grades=grades, total=total,
                      unfinished=unfinished)


def applications_for_export(*, term: Term, homerooms) -> QuerySet[Application]:
    return (Application.objects.filter(term=term, student__homeroom__in=homerooms.values("pk"))
            .select_related("student__homeroom__grade")
            .prefetch_related(Prefetch("preferences",
                                       queryset=Preference.objects.select_related("course")))
            .order_by("student__homeroom__grade__number", "student__homeroom__number",
                      "student__student_no"))


# ---------------------------------------------------------------------------- privacy

Kind = PrivacyConsent.Kind


def current_notice(school: School | int | None) -> PrivacyNotice | None:
    """The school's 个人信息保护告知书 in force: its latest version, or None if never published.

    Takes the school or its id (a form's ``school_id`` needs no query for the school)."""
    if school is None:
        return None
    return PrivacyNotice.objects.filter(school=school).order_by("-version").first()


def consents_of(*, student: Student | None = None, guardian=None) -> QuerySet[PrivacyConsent]:
    """Every consent (standing and withdrawn) of one child, or of all a guardian's children,
    newest first, with the version and the people joined."""
    qs = PrivacyConsent.objects.select_related(
        "student", "notice", "guardian", "given_by", "withdrawn_by", "withdrawn_guardian")
    if student is not None:
        qs = qs.filter(student=student)
    if guardian is not None:
        qs = qs.filter(student__in=StudentGuardian.objects.filter(guardian=guardian)
                       .values("student_id"))
    if student is None and guardian is None:
        return qs.none()
    return qs.order_by("student_id", "-given_at", "-pk")


def standing_kinds(*, student_ids, notice: PrivacyNotice | None) -> dict[int, set[str]]:
    """For each child, the parts consented to on this notice version and not withdrawn: one
    query for any number of children (the bulk submission reads it)."""
    if notice is None:
        return {}
    result: dict[int, set[str]] = {}
    for student_id, kind in (PrivacyConsent.objects
                             .filter(student_id__in=list(student_ids), notice=notice,
                                     withdrawn_at__isnull=True)
                             .values_list("student_id", "kind")):
        result.setdefault(student_id, set()).add(kind)
    return result


@dataclass
class ConsentState:
    """Where one child's consent stands against the school's current notice."""

    notice: PrivacyNotice | None
    personal: PrivacyConsent | None = None    # standing, on the current version
    sensitive: PrivacyConsent | None = None
    # Standing on an older version only: the family is asked again at the next edit.
    personal_outdated: bool = False
    sensitive_outdated: bool = False
    history: list = field(default_factory=list)

    @property
    def has_personal(self) -> bool:
        return self.personal is not None

    @property
    def has_sensitive(self) -> bool:
        return self.sensitive is not None

    @property
    def any_standing(self) -> bool:
        return any(c.withdrawn_at is None for c in self.history)

    def standing(self, kind: str) -> bool:
        return any(c.withdrawn_at is None and c.kind == kind for c in self.history)


def consent_state(student: Student, notice: PrivacyNotice | None) -> ConsentState:
    """The child's consents against ``notice`` (normally :func:`current_notice`), with the
    whole history: one query."""
    history = list(consents_of(student=student))
    state = ConsentState(notice=notice, history=history)
    for consent in history:
        if consent.withdrawn_at is not None:
            continue
        current = notice is not None and consent.notice_id == notice.pk
        if consent.kind == Kind.PERSONAL:
            if current:
                state.personal = consent
            else:
                state.personal_outdated = True
        else:
            if current:
                state.sensitive = consent
            else:
                state.sensitive_outdated = True
    if state.personal:
        state.personal_outdated = False
    if state.sensitive:
        state.sensitive_outdated = False
    return state
