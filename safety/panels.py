"""Home-page panels of safety (registered in ``SafetyConfig.ready``), each one or two queries.

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


def duty_panel(actor: Actor) -> dict | None:
    """值日: today's duty (with the patrol button), or the next one soon; swaps to answer.
    One query."""
    if actor.school is None or actor.staff is None:
        return None
    from afterschool.models import Staff

    from .models import DutyAssignment, DutyKind, DutySwap, PatrolReport

    today = timezone.localdate()
    duties = DutyAssignment.objects.filter(staff=OuterRef("pk"),
                                           roster__term__school=actor.school)
    soon = duties.filter(date__gt=today, date__lte=today + dt.timedelta(days=REMIND_DAYS)) \
        .order_by("date", "-kind")
    row = (Staff.objects.filter(pk=actor.staff.pk).annotate(
        today_teacher=Exists(duties.filter(date=today, kind=DutyKind.TEACHER)),
        today_leader=Exists(duties.filter(date=today, kind=DutyKind.LEADER)),
        next_date=Subquery(soon.values("date")[:1]),
        next_kind=Subquery(soon.values("kind")[:1]),
        asked=_count(DutySwap.objects.filter(partner=OuterRef("pk"),
                                             status=DutySwap.Status.REQUESTED), "partner"),
        mine=_count(PatrolReport.objects.filter(school=actor.school, date=today,
                                                recorded_by=actor.user), "school"),
    ).values("today_teacher", "today_leader", "next_date", "next_kind", "asked", "mine")
        .first())
    if row is None:
        return None
    todays = [DutyKind(k).label for k, on in ((DutyKind.TEACHER, row["today_teacher"]),
                                              (DutyKind.LEADER, row["today_leader"])) if on]
    if not todays and row["next_date"] is None and not row["asked"]:
        return None
    return {"template": "safety/_panel_duty.html", "order": 1 if todays else 20,
            "today": todays, "day": today, "mine": row["mine"], "asked": row["asked"],
            "next_date": None if todays else row["next_date"],
            "next_kind": DutyKind(row["next_kind"]).label if row["next_kind"] else ""}


def office_patrol_panel(actor: Actor) -> dict | None:
    """课后服务办公室、校长: 今日巡查 N 次，发现问题 M 个; open follow-ups (overdue). One query."""
    if actor.school is None or not actor.has(Role.COORDINATOR, Role.PRINCIPAL):
        return None
    from afterschool.models import School

    from . import selectors as sel
    from .display import summary_text
    from .models import FollowUp, PatrolReport

    today = timezone.localdate()
    patrols = PatrolReport.objects.filter(school=OuterRef("pk"), date=today)
    open_ = FollowUp.objects.filter(school=OuterRef("pk"), status__in=sel.OPEN_STATUSES)
    row = School.objects.filter(pk=actor.school.pk).annotate(
        n_patrols=_count(patrols, "school"),
        n_findings=_count(patrols.filter(has_finding=True), "school"),
        n_open=_count(open_, "school"),
        n_unassigned=_count(open_.filter(status=FollowUp.Status.OPEN), "school"),
        n_overdue=_count(open_.filter(due_date__lt=today), "school"),
    ).values("n_patrols", "n_findings", "n_open", "n_unassigned", "n_overdue").first()
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
