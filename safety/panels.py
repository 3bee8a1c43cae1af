"""Home-page panels of safety (registered in ``SafetyConfig.ready``): the duty panel and the
office's share one query (``_home_counts``), the teacher's findings take one.

- The person on duty today (by the roster): their duty, today's patrols, the way to record one;
  or, a few days ahead, their next duty; and swaps waiting for their answer.
- The office and the principal: today's patrol summary and the open follow-ups.
- A teacher: the open findings about their lessons, and follow-ups assigned to them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from afterschool.access import Actor
from afterschool.models import Role

# A duty this many days ahead shows on the home page as a reminder.
REMIND_DAYS = 3


def _count(qs, by: str):
    """A correlated COUNT subquery (0 when no row): one statement carries several counts."""
    from django.db.models.functions import Coalesce

    return Coalesce(Subquery(qs.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]),
                    0)


def _home_counts(actor: Actor) -> dict:
    """What the duty panel and the office's panel show, in one query per request: on the
    person's staff row (their duties, swaps, patrols today) and, for a leader, the school's
    patrols today and open follow-ups. Both panels read it (``Actor.remember``)."""

    def compute() -> dict:
        from afterschool.models import School, Staff

        from . import selectors as sel
        from .models import DutyAssignment, DutyKind, DutySwap, FollowUp, PatrolReport

        today = timezone.localdate()
        counts = {}
        if actor.staff is not None:
            base, school = Staff.objects.filter(pk=actor.staff.pk), OuterRef("school")
            duties = DutyAssignment.objects.filter(staff=OuterRef("pk"),
                                                   roster__term__school=actor.school)
            soon = duties.filter(date__gt=today,
                                 date__lte=today + dt.timedelta(days=REMIND_DAYS)) \
                .order_by("date", "-kind")
            counts.update(
                today_teacher=Exists(duties.filter(date=today, kind=DutyKind.TEACHER)),
                today_leader=Exists(duties.filter(date=today, kind=DutyKind.LEADER)),
                next_date=Subquery(soon.values("date")[:1]),
                next_kind=Subquery(soon.values("kind")[:1]),
                asked=_count(DutySwap.objects.filter(partner=OuterRef("pk"),
                                                     status=DutySwap.Status.REQUESTED),
                             "partner"),
                mine=_count(PatrolReport.objects.filter(school=actor.school, date=today,
                                                        recorded_by=actor.user), "school"))
        else:
            base, school = School.objects.filter(pk=actor.school.pk), OuterRef("pk")
        if actor.has(Role.COORDINATOR, Role.PRINCIPAL):
            patrols = PatrolReport.objects.filter(school=school, date=today)
            open_ = FollowUp.objects.filter(school=school, status__in=sel.OPEN_STATUSES)
            counts.update(
                n_patrols=_count(patrols, "school"),
                n_findings=_count(patrols.filter(has_finding=True), "school"),
                n_open=_count(open_, "school"),
                n_unassigned=_count(open_.filter(status=FollowUp.Status.OPEN), "school"),
                n_overdue=_count(open_.filter(due_date__lt=today), "school"))
        if not counts:
            return {}
        return base.annotate(**counts).values(*counts).first() or {}

    return actor.remember("safety_home_counts", compute)


def duty_panel(actor: Actor) -> dict | None:
    """值日: today's duty (with the patrol button), or the next one soon; swaps to answer."""
    if actor.school is None or actor.staff is None:
        return None
    from .models import DutyKind

    row = _home_counts(actor)
    if not row:
        return None
    todays = [DutyKind(k).label for k, on in ((DutyKind.TEACHER, row["today_teacher"]),
                                              (DutyKind.LEADER, row["today_leader"])) if on]
    if not todays and row["next_date"] is None and not row["asked"]:
        return None
    return {"template": "safety/_panel_duty.html", "order": 1 if todays else 20,
            "today": todays, "day": timezone.localdate(), "mine": row["mine"],
            "asked": row["asked"], "next_date": None if todays else row["next_date"],
            "next_kind": DutyKind(row["next_kind"]).label if row["next_kind"] else ""}


def office_patrol_panel(actor: Actor) -> dict | None:
    """课后服务办公室、校长: 今日巡查 N 次，发现问题 M 个; open follow-ups (overdue)."""
    if actor.school is None or not actor.has(Role.COORDINATOR, Role.PRINCIPAL):
        return None
    from .display import summary_text

    row = _home_counts(actor)
    summary = {"patrols": row["n_patrols"], "findings": row["n_findings"]}
    open_counts = {"total": row["n_open"], "unassigned": row["n_unassigned"],
                   "overdue": row["n_overdue"]}
    return {"template": "safety/_panel_office.html", "order": 6 if open_counts["total"] else 30,
            "summary": summary, "text": summary_text(summary), "open": open_counts}


def teacher_findings_panel(actor: Actor) -> dict | None:
    """A teacher (not the office): open follow-ups about their lessons or assigned to them."""
    if actor.school is None or actor.staff is None or actor.is_school_wide:
        return None
    from . import selectors as sel
    from .models import FollowUp

    rows = list(FollowUp.objects.filter(school=actor.school, status__in=sel.OPEN_STATUSES)
                .filter(Q(assignee=actor.staff) | Q(patrol__teacher=actor.staff))
                .select_related("patrol__lesson").order_by("due_date", "-created_at")[:5])
    if not rows:
        return None
    for row in rows:
        row.findings = row.patrol.finding_labels()
    return {"template": "safety/_panel_findings.html", "order": 7, "rows": rows}
