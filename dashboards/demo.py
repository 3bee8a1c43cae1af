"""The demo's dashboards: neighbour schools for the bureau to compare, and the aggregate
tables counted for the whole demo district.

A demo step (``afterschool.demo.register_demo_step``, joined in ``DashboardsConfig.ready``),
the last one. The demo's own schools are one full school and one small one without a term of
records; the bureau's comparison needs more, so three neighbour schools of the same district
are made by the district generator (``seed_district``'s, 300 children each, the last month of
roll calls, patrols and a survey). The steps before this one write roll calls, corrections,
alerts and survey answers in bulk, which no signal sees, so the term so far is counted once
here. Idempotent: the neighbours are found by their codes, and counting again writes the same
rows.
"""

from __future__ import annotations

from django.utils import timezone

from afterschool.models import School, Term

from .aggregates import rebuild
from .generator import DistrictGenerator

NEIGHBOURS = ["莒县城阳街道第二小学", "莒县店子集中心小学", "莒县第六实验学校"]


def dashboards_demo(demo: dict, stdout=None) -> None:
    school = demo.get("school")
    if school is None:
        return
    DistrictGenerator(schools=len(NEIGHBOURS), students=300, months=1,
                      district=school.district, prefix="demo-nb", seed=20261201,
                      names=NEIGHBOURS, with_officer=False).run()
    schools = list(School.objects.filter(district=school.district).values_list("pk", flat=True))
    terms = Term.objects.filter(school_id__in=schools)
    first = min((t.start_date for t in terms), default=None)
    today = timezone.localdate()
    if first is None or first > today:
        return
    written = rebuild(first=first, last=today, school_ids=schools)
    if stdout is not None:
        stdout.write(f"看板：统计了 {len(schools)} 所学校自 {first:%Y-%m-%d} 以来的数据（{written} 行）。")
