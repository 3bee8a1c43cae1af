"""The demo's dashboards: the aggregate tables counted for the demo district's schools.

A demo step (``afterschool.demo.register_demo_step``, joined in ``DashboardsConfig.ready``),
the last one: the steps before it write roll calls, corrections, alerts and survey answers in
bulk, which no signal sees, so the term so far is counted once here. Idempotent: counting
again writes the same rows.
"""

from __future__ import annotations

from django.utils import timezone

from afterschool.models import School, Term

from .aggregates import rebuild


def dashboards_demo(demo: dict, stdout=None) -> None:
    school = demo.get("school")
    if school is None:
        return
    schools = list(School.objects.filter(district=school.district).values_list("pk", flat=True))
    terms = Term.objects.filter(school_id__in=schools)
    first = min((t.start_date for t in terms), default=None)
    today = timezone.localdate()
    if first is None or first > today:
        return
    written = rebuild(first=first, last=today, school_ids=schools)
    if stdout is not None:
        stdout.write(f"看板：统计了 {len(schools)} 所学校自 {first:%Y-%m-%d} 以来的数据（{written} 行）。")
