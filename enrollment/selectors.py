"""Reads of enrollment: querysets with their joins applied, and the numbers the school reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from afterschool import selectors as core_selectors
from afterschool.cleaning import mask_phone
from afterschool.models import WEEKDAY_LABELS, School, Student, StudentGuardian, Term
from courses.models import Course

from .models import Agreement, Application, ApplicationTransition, Preference, Signature
from .transitions import ANSWERED, APPROVED, FINAL, REJECTED

S = Application.Status


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
    if application.participates is False:
        return "not_needed"
    if agreement is None:
        return "missing"
    signed = {s.agreement_id for s in application.signatures.all()}
    if agreement.pk in signed:
        return "current"
    return "outdated" if signed else "unsigned"


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


def weekday_text(weekdays) -> str:
    return "、".join(WEEKDAY_LABELS[d - 1] for d in sorted(weekdays)) if weekdays else ""


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


def children_forms(*, children: QuerySet[Student], term: Term | None) -> list[ChildForm]:
    """Each child with this term's form and the next step, in three queries."""
    if term is None:
        return []
    agreement = current_agreement(term)
    apps = {a.student_id: a for a in Application.objects.filter(
        term=term, student__in=children.values("pk")).prefetch_related("signatures")}
    result = []
    for child in children.order_by("homeroom__grade__number", "name"):
        app = apps.get(child.pk)
        item = ChildForm(student=child, application=app)
        if app is None:
            item.next_label, item.next_url_name = "填写意向书", "start"
        else:
            item.signature = signature_state(app, agreement)
            if app.status in (S.DRAFT, S.RETURNED):
                item.next_label = "继续填写" if app.status == S.DRAFT else "按意见修改"
                item.next_url_name, item.tone = "edit", "warning" if app.status == S.RETURNED \
                    else "primary"
            elif item.signature == "outdated" and app.status not in (S.WITHDRAWN, *REJECTED):
                item.next_label, item.next_url_name, item.tone = "重新签署", "sign", "warning"
            else:
                item.next_label, item.next_url_name, item.tone = "查看进度", "detail", "secondary"
        result.append(item)
    return result


# ---------------------------------------------------------------------------- review

BUCKETS = {
    "all": ("全部", None),
    "unanswered": ("未填写", None),
    "submitted": ("待班主任审核", {S.SUBMITTED}),
    "class_approved": ("待学校复核", {S.CLASS_APPROVED}),
    "approved": ("已通过", {S.SCHOOL_APPROVED, S.PLACED}),
    "returned": ("退回修改", {S.RETURNED}),
    "rejected": ("未通过", set(REJECTED)),
    "withdrawn": ("已退出", {S.WITHDRAWN}),
}


def _term_applications(term: Term) -> QuerySet[Application]:
    return Application.objects.filter(term=term, student=OuterRef("pk"))


def review_students(*, students: QuerySet[Student], term: Term, bucket: str = "all",
                    participates: str = "") -> QuerySet[Student]:
    """Students of the reviewer's scope, filtered, each with this term's application attached.

    ``student.term_applications`` is a list of zero or one application; the queries do not
    grow with the number of rows.
    """
    qs = students
    if bucket == "unanswered":
        qs = qs.exclude(Exists(_term_applications(term).exclude(status=S.DRAFT)))
    elif bucket in BUCKETS and BUCKETS[bucket][1]:
        qs = qs.filter(Exists(_term_applications(term).filter(status__in=BUCKETS[bucket][1])))
    if participates in ("yes", "no"):
        qs = qs.filter(Exists(_term_applications(term).exclude(status=S.DRAFT)
                              .filter(participates=participates == "yes")))
    return qs.order_by("homeroom__grade__number", "homeroom__number", "student_no").prefetch_related(
        Prefetch("applications", to_attr="term_applications",
                 queryset=Application.objects.filter(term=term).prefetch_related(
                     Prefetch("preferences", queryset=Preference.objects.select_related("course")),
                     "signatures")),
        Prefetch("guardian_links", queryset=StudentGuardian.objects.select_related("guardian")
                 .order_by("-is_primary", "pk")),
    )


@dataclass
class ReviewRow:
    student: Student
    application: Application | None
    guardians: str
    preferences: str
    signature: str

    @property
    def answered(self) -> bool:
        return self.application is not None and self.application.status != S.DRAFT


def review_rows(students, *, agreement: Agreement | None) -> list[ReviewRow]:
    rows = []
    for student in students:
        app = student.term_applications[0] if student.term_applications else None
        guardians = "；".join(f"{link.guardian.name} {mask_phone(link.guardian.phone)}"
                             for link in student.guardian_links.all())
        prefs = ""
        signature = ""
        if app is not None:
            prefs = " > ".join(p.course.name for p in app.preferences.all())
            signature = signature_state(app, agreement)
        rows.append(ReviewRow(student=student, application=app, guardians=guardians,
                              preferences=prefs, signature=signature))
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
    """Per homeroom (and per grade and school when ``with_totals``): two queries in all."""
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
        if status == S.WITHDRAWN:
            row.withdrawn += n
            continue
        if participates:
            row.applied += n
        else:
            row.declined += n
        if status == S.SUBMITTED:
            row.pending += n
        elif status in APPROVED:
            row.approved += n
            if status == S.CLASS_APPROVED:
                row.class_approved += n
        elif status == S.RETURNED:
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
