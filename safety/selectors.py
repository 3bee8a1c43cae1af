"""Reads of safety: the roster, patrols and follow-ups, with their joins applied.

The functions under "for the assessment" are what ``evaluation`` reads (it sits above this
app): per teacher and per month, each a handful of queries whatever the size of the school.
They key people by their login (``user_id``; ``by="staff"`` keys by the staff row instead),
leave out staff without a login when keyed by user, and read the stored records only, so a
past month gives the same answer whenever it is asked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Prefetch, Q

from afterschool.models import School

from .models import DutyAssignment, DutyKind, FollowUp, PatrolReport

P = PatrolReport.Presence
A = PatrolReport.Activity
F = FollowUp.Status
MISUSE = (A.NEW_LESSON, A.EXAM)
OPEN_STATUSES = (F.OPEN, F.ASSIGNED, F.RECTIFIED)
FINDING_KINDS = ("late", "absent", "misuse", "head_count", "other")

# ---------------------------------------------------------------------------- for the assessment


def _key_field(by: str, field: str) -> str:
    if by not in ("user", "staff"):
        raise ValueError(f"by must be 'user' or 'staff', not {by!r}")
    return f"{field}__user_id" if by == "user" else f"{field}_id"


def patrol_findings_by_teacher(school: School | int, month_start: dt.date, month_end: dt.date,
                               *, by: str = "user") -> dict[int, dict[str, int]]:
    """Findings of patrols between the two dates (inclusive) against each teacher:
    ``{user_id: {"late": n, "absent": n, "misuse": n, "head_count": n, "other": n,
    "total": n}}`` — "misuse" is 讲授新课 or 考试, "head_count" a head count that disagreed
    with the roll call, "other" an activity off the plan or another issue; "total" counts the
    patrols with any finding (one patrol may hold several). Teachers without findings are not
    in the mapping. One query."""
    key = _key_field(by, "teacher")
    rows = (PatrolReport.objects
            .filter(school=school, date__range=(month_start, month_end), has_finding=True)
            .exclude(**{f"{key}__isnull": True})
            .values(key)
            .annotate(late=Count("pk", filter=Q(presence=P.LATE)),
                      absent=Count("pk", filter=Q(presence=P.ABSENT)),
                      misuse=Count("pk", filter=Q(activity__in=MISUSE)),
                      head_count=Count("pk", filter=Q(head_count_mismatch=True)),
                      other=Count("pk", filter=Q(activity=A.OTHER) | Q(other_issue=True)),
                      total=Count("pk")))
    return {row[key]: {k: row[k] for k in (*FINDING_KINDS, "total")} for row in rows}


def open_follow_ups_by_teacher(school: School | int, month_start: dt.date, month_end: dt.date,
                               *, by: str = "user") -> dict[int, int]:
    """Follow-ups about each teacher's lessons (the patrol's teacher) found on or before
    ``month_end`` and still open at the end of that day: ``{user_id: n}``. Closed later
    counts as open then, so a past month's answer does not change. ``month_start`` is
    accepted for symmetry and not used: a follow-up left open from an earlier month is still
    open in this one. One query."""
    from django.utils import timezone

    end = timezone.make_aware(dt.datetime.combine(month_end + dt.timedelta(days=1), dt.time()))
    key = _key_field(by, "patrol__teacher")
    rows = (FollowUp.objects
            .filter(school=school, patrol__date__lte=month_end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
            .exclude(**{f"{key}__isnull": True})
            .values(key).annotate(n=Count("pk")))
    return {row[key]: row["n"] for row in rows}


def duties_by_staff(school: School | int, month_start: dt.date, month_end: dt.date, *,
                    kind: str | None = None, by: str = "user") -> dict[int, list[dt.date]]:
    """The days each person was (or is) on duty between the two dates: ``{user_id: [dates]}``,
    sorted; a leader who is also a duty teacher on a day has that date twice. ``kind``
    (``"teacher"`` or ``"leader"``) keeps one kind. One query."""
    key = _key_field(by, "staff")
    qs = DutyAssignment.objects.filter(roster__term__school=school,
                                       date__range=(month_start, month_end))
    if kind is not None:
        qs = qs.filter(kind=kind)
    found: dict[int, list[dt.date]] = defaultdict(list)
    for person, date in qs.exclude(**{f"{key}__isnull": True}).values_list(key, "date") \
            .order_by(key, "date"):
        found[person].append(date)
    return dict(found)


def patrols_by_staff(school: School | int, month_start: dt.date, month_end: dt.date, *,
                     by: str = "user") -> dict[int, dict[str, int]]:
    """The patrols each person recorded between the two dates: ``{user_id: {"patrols": n,
    "findings": n, "days": n}}`` (``days``: distinct dates with a patrol). One query.
    ``by="staff"`` keys by the recorder's staff row at this school."""
    if by not in ("user", "staff"):
        raise ValueError(f"by must be 'user' or 'staff', not {by!r}")
    rows = list(PatrolReport.objects
                .filter(school=school, date__range=(month_start, month_end),
                        recorded_by__isnull=False)
                .values("recorded_by_id")
                .annotate(patrols=Count("pk"), findings=Count("pk", filter=Q(has_finding=True)),
                          days=Count("date", distinct=True)))
    found = {row["recorded_by_id"]: {k: row[k] for k in ("patrols", "findings", "days")}
             for row in rows}
    if by == "user":
        return found
    from afterschool.models import Staff

    staff_of = dict(Staff.objects.filter(school=school, user_id__in=list(found))
                    .values_list("user_id", "pk"))
    return {staff_of[u]: v for u, v in found.items() if u in staff_of}


def patrol_summary(school: School | int, start: dt.date, end: dt.date | None = None) -> dict:
    """The patrols of a day (or of a range): ``{"patrols": n, "findings": n, "late": n,
    "absent": n, "misuse": n, "head_count": n, "other": n, "open_follow_ups": n}`` —
    "今日巡查 12 次，发现问题 1 个". ``open_follow_ups`` counts the range's findings still open
    now. One query."""
    end = end or start
    row = (PatrolReport.objects.filter(school=school, date__range=(start, end))
           .aggregate(patrols=Count("pk"), findings=Count("pk", filter=Q(has_finding=True)),
                      late=Count("pk", filter=Q(presence=P.LATE)),
                      absent=Count("pk", filter=Q(presence=P.ABSENT)),
                      misuse=Count("pk", filter=Q(activity__in=MISUSE)),
                      head_count=Count("pk", filter=Q(head_count_mismatch=True)),
                      other=Count("pk", filter=Q(activity=A.OTHER) | Q(other_issue=True)),
                      open_follow_ups=Count("follow_up", filter=Q(
                          follow_up__status__in=OPEN_STATUSES))))
    return {k: v or 0 for k, v in row.items()}


def patrol_summary_by_day(school: School | int, start: dt.date, end: dt.date) -> list[dict]:
    """One row per date with patrols: ``{"date", "patrols", "findings"}``. One query."""
    rows = (PatrolReport.objects.filter(school=school, date__range=(start, end))
            .values("date").annotate(patrols=Count("pk"),
                                     findings=Count("pk", filter=Q(has_finding=True)))
            .order_by("date"))
    return list(rows)


# ---------------------------------------------------------------------------- the roster


def roster_days(roster, start: dt.date, end: dt.date) -> list[dict]:
    """The roster's days between two dates: ``[{"date", "teachers": [assignment…],
    "leaders": [assignment…]}]``, with the people; one query."""
    by_day: dict[dt.date, dict] = {}
    for a in (DutyAssignment.objects.filter(roster=roster, date__range=(start, end))
              .select_related("staff").order_by("date", "kind", "staff__name", "pk")):
        day = by_day.setdefault(a.date, {"date": a.date, "teachers": [], "leaders": []})
        day["teachers" if a.kind == DutyKind.TEACHER else "leaders"].append(a)
    return [by_day[d] for d in sorted(by_day)]


def duty_loads(roster) -> list[dict]:
    """Each person's duties on the roster: ``[{"staff", "teacher": n, "leader": n,
    "total": n}]``, most first. Two queries."""
    from afterschool.models import Staff

    rows = (DutyAssignment.objects.filter(roster=roster).values("staff_id")
            .annotate(teacher=Count("pk", filter=Q(kind=DutyKind.TEACHER)),
                      leader=Count("pk", filter=Q(kind=DutyKind.LEADER))))
    counts = {r["staff_id"]: r for r in rows}
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=list(counts))}
    found = [{"staff": staff[pk], "teacher": c["teacher"], "leader": c["leader"],
              "total": c["teacher"] + c["leader"]} for pk, c in counts.items()]
    return sorted(found, key=lambda r: (-r["total"], r["staff"].name, r["staff"].pk))


def duties_of(staff, *, since: dt.date, limit: int = 20):
    """A person's duties from ``since`` on, soonest first."""
    return (DutyAssignment.objects.filter(staff=staff, date__gte=since)
            .select_related("roster__term").order_by("date", "kind")[:limit])


def on_duty(school_id: int, day: dt.date):
    """The assignments of a day at a school, with the people and their logins."""
    return (DutyAssignment.objects.filter(roster__term__school_id=school_id, date=day)
            .select_related("staff__user").order_by("-kind", "staff__name", "pk"))


def swaps_listed(qs):
    from .models import DutySwapChange

    return qs.select_related("requester", "partner", "mine", "theirs").prefetch_related(
        Prefetch("changes", queryset=DutySwapChange.objects.select_related("actor")
                 .order_by("at", "pk")))


# ---------------------------------------------------------------------------- patrols


def patrols_listed(qs):
    """Patrols with what a list shows: the lesson, the teacher, who patrolled, the follow-up."""
    return (qs.select_related("lesson", "teacher", "recorded_by", "follow_up__assignee")
            .order_by("-patrolled_at", "-pk"))


def follow_ups_listed(qs):
    return (qs.select_related("patrol__lesson", "patrol__teacher", "patrol__recorded_by",
                              "assignee", "closed_by")
            .order_by("status", "due_date", "-created_at", "-pk"))


def follow_up_with_history(qs):
    from .models import FollowUpChange

    return qs.select_related("patrol__lesson", "patrol__teacher", "patrol__recorded_by",
                             "assignee", "closed_by").prefetch_related(
        Prefetch("changes", queryset=FollowUpChange.objects.select_related("actor")
                 .order_by("at", "pk")))


def teacher_month(school: School | int, month_start: dt.date, month_end: dt.date) -> list[dict]:
    """Per teacher over a month: duties, patrols recorded, findings against them by kind, open
    follow-ups — the month's page for the office (and what the assessment reads). Six
    queries."""
    from afterschool.models import Staff

    findings = patrol_findings_by_teacher(school, month_start, month_end, by="staff")
    follow = open_follow_ups_by_teacher(school, month_start, month_end, by="staff")
    duties = duties_by_staff(school, month_start, month_end, by="staff")
    patrols = patrols_by_staff(school, month_start, month_end, by="staff")
    ids = set(findings) | set(follow) | set(duties) | set(patrols)
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=ids)}
    rows = []
    for pk in ids:
        if pk not in staff:
            continue
        f = findings.get(pk, {})
        rows.append({"staff": staff[pk], "duties": len(duties.get(pk, [])),
                     "patrols": patrols.get(pk, {}).get("patrols", 0),
                     "findings": f.get("total", 0),
                     **{k: f.get(k, 0) for k in FINDING_KINDS},
                     "open_follow_ups": follow.get(pk, 0)})
    return sorted(rows, key=lambda r: (-r["findings"], -r["duties"], r["staff"].name))
