"""Duties (值日) and patrols (巡查) as evaluation reads them, from the duty roster's selectors
(``safety.selectors``, keyed by staff row).

- The ledger: each duty day is a line (a leader who is also a duty teacher that day has two),
  each day with patrols recorded is one line ("巡查 N 次"), weighted per day by the school's
  ``WorkloadPolicy`` — a duty teacher records many patrols a day, and the day is the work.
- The assessment: findings of patrols against a teacher's lessons, follow-ups still open, and
  who was visited at all (a teacher no patrol reached has no patrol indicator, rather than a
  clean one).
- The 公示: the month's patrol summary.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from safety import selectors as safety
from safety.models import DutyKind, PatrolReport

# The patrol summary's rows, in the order the 公示 lists them.
PATROL_ROWS = (
    ("patrols", "巡查次数"),
    ("findings", "发现问题的巡查"),
    ("late", "辅导教师迟到"),
    ("absent", "辅导教师缺岗"),
    ("misuse", "讲授新课或考试"),
    ("head_count", "人数与点名不符"),
    ("other", "其他问题"),
    ("open_follow_ups", "尚未完成的整改"),
)
DUTY_TITLES = {DutyKind.TEACHER: "值日教师", DutyKind.LEADER: "值日领导"}


@dataclass(frozen=True)
class DutyItem:
    staff_id: int
    source: str
    date: dt.date
    title: str


def duty_counts(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    """Duty days per staff member (a day as leader and as teacher counts twice)."""
    return {pk: len(days) for pk, days in
            safety.duties_by_staff(school_id, first, last, by="staff").items()}


def patrol_days(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    """Days with patrols recorded, per staff member."""
    return {pk: row["days"] for pk, row in
            safety.patrols_by_staff(school_id, first, last, by="staff").items()}


def duty_lines(school_id: int, first: dt.date, last: dt.date, *, staff_ids=None):
    wanted = set(staff_ids) if staff_ids is not None else None
    for kind, title in DUTY_TITLES.items():
        found = safety.duties_by_staff(school_id, first, last, kind=kind, by="staff")
        for staff_id, days in found.items():
            if wanted is not None and staff_id not in wanted:
                continue
            for day in days:
                yield DutyItem(staff_id, f"duty:{kind}:{day.isoformat()}", day, title)


def patrol_lines(school_id: int, first: dt.date, last: dt.date, *, staff_ids=None):
    """One line per staff member and day with patrols: "巡查 3 次"."""
    from afterschool.models import Staff

    per_day = Counter(PatrolReport.objects.filter(
        school_id=school_id, date__range=(first, last), recorded_by__isnull=False)
        .values_list("recorded_by_id", "date").order_by())
    staff_of = dict(Staff.objects.filter(school_id=school_id, user_id__in={u for u, _ in per_day})
                    .values_list("user_id", "pk"))
    wanted = set(staff_ids) if staff_ids is not None else None
    for (user_id, day), n in sorted(per_day.items(), key=lambda x: (x[0][1], x[0][0])):
        staff_id = staff_of.get(user_id)
        if staff_id is None or (wanted is not None and staff_id not in wanted):
            continue
        yield DutyItem(staff_id, f"patrol:{day.isoformat()}", day, f"巡查 {n} 次")


def findings_by_teacher(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    """Patrols with a finding against each teacher's lessons (late, absent, misuse …)."""
    return {pk: row["total"] for pk, row in
            safety.patrol_findings_by_teacher(school_id, first, last, by="staff").items()}


def open_follow_ups_by_teacher(school_id: int, first: dt.date, last: dt.date) -> dict[int, int]:
    """Follow-ups about each teacher's lessons still open at the end of ``last``."""
    return safety.open_follow_ups_by_teacher(school_id, first, last, by="staff")


def patrolled_teachers(school_id: int, first: dt.date, last: dt.date) -> set[int]:
    """Teachers whose lessons some patrol visited in the dates."""
    return set(PatrolReport.objects.filter(school_id=school_id, date__range=(first, last),
                                           teacher__isnull=False)
               .values_list("teacher_id", flat=True).distinct())


def patrol_summary(school_id: int, first: dt.date, last: dt.date) -> dict:
    """The month's patrols for the 公示: ``{"rows": [(label, n), …], **counts}``."""
    counts = safety.patrol_summary(school_id, first, last)
    return {"rows": [(label, counts.get(key, 0)) for key, label in PATROL_ROWS], **counts}
