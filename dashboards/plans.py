"""School plans sent to the bureau (方案报送): what a plan holds and the services that move it.

A plan's content is a snapshot of the term as the school has set it up — the service schedule
(dates, weekdays, daily periods, the application window), the staffing (staff by kind, the
tutors of the sections, the norm of one tutor per 25 children) and the courses with their
sections and seats — taken when the plan is submitted, so the bureau decides on what it was
sent; the school adds its own words (``summary``). The bureau (the officers of the school's
district) approves it or returns it with a comment; the school changes it and submits again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from afterschool.access import Actor
from afterschool.formatting import date_text, weekdays_text
from afterschool.models import Role, RoleAssignment, Staff, Term
from afterschool.norms import STUDENTS_PER_TUTOR
from afterschool.notifications import NoticeSpec, notices_send
from courses.models import Course, Section

from . import exceptions as e
from .models import SchoolPlan
from .transitions import EDITABLE, PLAN_MACHINE

P = SchoolPlan.Status
SUMMARY_LIMIT = 3000


def plan_snapshot(term: Term) -> dict:
    """The term's schedule, staffing and courses, as plain data (a handful of queries)."""
    periods = [{"number": p.number, "start": f"{p.start_time:%H:%M}", "end": f"{p.end_time:%H:%M}",
                "kind": p.get_kind_display()} for p in term.periods.order_by("number")]
    staff = Staff.objects.filter(school_id=term.school_id, is_active=True).aggregate(
        total=Count("pk"), internal=Count("pk", filter=Q(is_external=False)))
    sections = Section.objects.filter(course__term=term)
    tutors = (Staff.objects.filter(sections__course__term=term).distinct().count())
    courses = []
    for course in (Course.objects.filter(term=term, is_active=True)
                   .annotate(n=Count("sections", distinct=True),
                             seats=Sum("sections__capacity"))
                   .prefetch_related("grades").order_by("category", "name")):
        courses.append({"name": course.name, "category": course.category,
                        "mode": course.get_mode_display(), "fixed": course.is_fixed,
                        "grades": "、".join(g.name for g in course.grades.all()),
                        "sections": course.n, "seats": course.seats or 0})
    window = ""
    if term.application_opens_at and term.application_closes_at:
        window = (f"{date_text(timezone.localtime(term.application_opens_at))}至"
                  f"{date_text(timezone.localtime(term.application_closes_at))}")
    return {
        "schedule": {"term": term.name, "start": date_text(term.start_date),
                     "end": date_text(term.end_date),
                     "weekdays": weekdays_text(term.service_weekdays or []),
                     "periods": periods, "window": window,
                     "text": term.schedule_text, "content": term.service_content,
                     "safety": term.safety_text},
        "staffing": {"staff": staff["total"], "internal": staff["internal"],
                     "external": staff["total"] - staff["internal"], "section_tutors": tutors,
                     "sections": sections.count(), "seats": sections.aggregate(
                         n=Sum("capacity"))["n"] or 0, "norm": STUDENTS_PER_TUTOR},
        "courses": courses,
    }


def _school_side(actor: Actor, plan: SchoolPlan | None = None) -> None:
    if actor is None or actor.school is None or not actor.has(Role.COORDINATOR, Role.PRINCIPAL):
        raise e.PlanError(e.PLAN_NOT_ALLOWED)
    if plan is not None and plan.school_id != actor.school.pk:
        raise e.PlanError(e.PLAN_NOT_ALLOWED)


def _clean_summary(summary: str) -> str:
    summary = (summary or "").replace("\x00", "").strip()
    if len(summary) > SUMMARY_LIMIT:
        raise e.PlanError(e.PLAN_SUMMARY_TOO_LONG.format(length=len(summary)), field="summary")
    return summary


@transaction.atomic
def plan_save(*, actor: Actor, term: Term, summary: str) -> SchoolPlan:
    """Create the term's plan, or change its words while it is a draft or was returned."""
    _school_side(actor)
    if term.school_id != actor.school.pk:
        raise e.PlanError(e.PLAN_TERM_OTHER_SCHOOL, field="term")
    summary = _clean_summary(summary)
    plan, created = SchoolPlan.objects.select_for_update().get_or_create(
        school=actor.school, term=term,
        defaults={"summary": summary, "created_by": actor.user})
    if created:
        return plan
    if plan.status not in EDITABLE:
        raise e.PlanError(e.PLAN_NOT_EDITABLE.format(status=plan.get_status_display()))
    plan.summary = summary
    plan.revision += 1
    plan.full_clean()
    plan.save(update_fields=["summary", "revision"])
    return plan


def _locked(plan: SchoolPlan, revision: int | None) -> SchoolPlan:
    locked = SchoolPlan.objects.select_for_update().select_related("school", "term").get(
        pk=plan.pk)
    if revision is not None and revision != locked.revision:
        raise e.PlanError(e.PLAN_STALE.format(status=locked.get_status_display()))
    return locked


@transaction.atomic
def plan_submit(*, actor: Actor, plan: SchoolPlan, revision: int | None = None,
                now: dt.datetime | None = None) -> SchoolPlan:
    """Send the plan to the bureau with the term's schedule, staffing and courses as they are
    now, and tell the district's officers."""
    _school_side(actor, plan)
    now = now or timezone.now()
    plan = _locked(plan, revision)
    if not plan.school.district:
        raise e.PlanError(e.PLAN_NO_DISTRICT)
    PLAN_MACHINE.transition(plan, P.SUBMITTED, actor=actor, at=now, values={
        "content": plan_snapshot(plan.term), "submitted_at": now, "decided_at": None,
        "decision_comment": "", "revision": plan.revision + 1})
    officers = (RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER,
                                              district=plan.school.district)
                .select_related("user"))
    notices_send(school=plan.school, specs=[NoticeSpec(
        user=r.user, title=f"{plan.school.name}报送了{plan.term.name}课后服务方案",
        url=f"/dashboards/plans/{plan.pk}/", key=f"plan:{plan.pk}:{plan.revision}")
        for r in officers])
    return plan


@transaction.atomic
def plan_decide(*, actor: Actor, plan: SchoolPlan, approve: bool, comment: str = "",
                revision: int | None = None, now: dt.datetime | None = None) -> SchoolPlan:
    """The bureau approves the plan or returns it with a comment; the school is told."""
    now = now or timezone.now()
    plan = _locked(plan, revision)
    if not (actor is not None and actor.district and plan.school.district == actor.district):
        raise e.PlanError(e.PLAN_NOT_IN_DISTRICT)
    to = P.APPROVED if approve else P.RETURNED
    comment = (comment or "").strip()[:1000]
    PLAN_MACHINE.transition(plan, to, actor=actor, comment=comment, at=now, values={
        "decided_at": now, "decision_comment": comment, "revision": plan.revision + 1})
    staff = (RoleAssignment.objects.filter(school=plan.school,
                                           role__in=(Role.COORDINATOR, Role.PRINCIPAL))
             .select_related("user"))
    verdict = "已批准" if approve else "被退回修改"
    notices_send(school=plan.school, specs=[NoticeSpec(
        user=r.user, title=f"{plan.term.name}课后服务方案{verdict}", body=comment,
        url=f"/dashboards/plans/{plan.pk}/", sms=not approve,
        key=f"plan:{plan.pk}:{plan.revision}:{r.user_id}") for r in staff])
    return plan
