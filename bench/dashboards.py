"""The dashboards on a county's data: page times, query counts and the aggregates' rebuild.

    .venv/bin/python bench/dashboards.py --setup --schools 200 --students 1000 --months 4
    .venv/bin/python bench/dashboards.py            # measure, print the README table

``--setup`` makes a fresh PostgreSQL database ``bench_dashboards``: migrations, then
``seed_district`` for the big district (timed, with its own aggregate build) and a small
district of two schools of 200 students (to show the query counts do not grow with the data),
then ANALYZE.

The measurement runs in this process against that database with production-shaped settings
(``bench.web.settings``: DEBUG off, cached templates) through Django's test client — the whole
request (middleware, sessions, the Actor, the view, the templates) without a network or a WSGI
server. Each page is requested 5 times to warm up, then 50 times; the table gives the median,
the 95th percentile and the slowest, and the number of SQL queries of one request. The load
average of the machine is printed with the results: it is shared with other work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_dashboards"
BIG, SMALL = "全县压测教育局", "小县压测教育局"


def _env(db: str) -> dict:
    return {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
            "DJANGO_SETTINGS_MODULE": "bench.web.settings", "PYTHONPATH": str(ROOT),
            "REDIS_URL": "", "CONN_MAX_AGE": "600"}


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True,
                   cwd=ROOT)


def setup(db: str, schools: int, students: int, months: int) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    env = _env(db)
    _manage(env, "migrate", "--noinput", "-v", "0")
    started = time.perf_counter()
    _manage(env, "seed_district", "--schools", str(schools), "--students-per-school",
            str(students), "--months", str(months), "--district", BIG, "--prefix", "big")
    print(f"seed_district: {time.perf_counter() - started:.0f} s in all (wall)")
    _manage(env, "seed_district", "--schools", "2", "--students-per-school", "200",
            "--months", str(months), "--district", SMALL, "--prefix", "small")
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", "ANALYZE"],
                   check=True)


def measure(runs: int = 50, warm: int = 5) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from afterschool.access import SESSION_SCHOOL_KEY
    from afterschool.models import Role, RoleAssignment, School
    from dashboards.aggregates import rebuild
    from dashboards.models import MonthlySchoolStat

    # The last whole month (the current one may have a day or two).
    this_month = timezone.localdate().replace(day=1)
    months = MonthlySchoolStat.objects.order_by("-month").values_list("month", flat=True)
    month = months.filter(month__lt=this_month).first() or months.first()
    first = MonthlySchoolStat.objects.order_by("month").values_list("month", flat=True).first()
    query = f"?month={month:%Y-%m}"

    def officer(district):
        return RoleAssignment.objects.get(role=Role.DISTRICT_OFFICER, district=district).user

    def principal(school):
        return RoleAssignment.objects.get(role=Role.PRINCIPAL, school=school).user

    big = School.objects.filter(district=BIG).order_by("pk")
    small = School.objects.filter(district=SMALL).order_by("pk")
    big_school, small_school = big.first(), small.first()
    sizes = {s.pk: s.students.count() for s in (big_school, small_school)}

    targets = [
        (f"教育局对比（{big.count()} 所学校）", officer(BIG), None,
         f"/dashboards/district/{query}"),
        (f"教育局对比（{small.count()} 所学校）", officer(SMALL), None,
         f"/dashboards/district/{query}"),
        (f"教育局看一所学校（{sizes[big_school.pk]} 名学生）", officer(BIG), None,
         f"/dashboards/district/schools/{big_school.pk}/{query}"),
        (f"校长看板（{sizes[big_school.pk]} 名学生）", principal(big_school), big_school,
         f"/dashboards/{query}"),
        (f"校长看板（{sizes[small_school.pk]} 名学生）", principal(small_school), small_school,
         f"/dashboards/{query}"),
    ]
    load_before = os.getloadavg()
    rows = []
    for label, user, school, path in targets:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if school is not None:
            session = client.session
            session[SESSION_SCHOOL_KEY] = school.pk
            session.save()
        for _ in range(warm):
            assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        # Counted now: the log is cleared at the start of every request.
        n_queries = len(queries)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        rows.append((label, statistics.median(times), p95, times[-1], n_queries))
    # What one roll call's refresh costs: the school's day and month counted again.
    from attendance.models import Lesson
    from dashboards.aggregates import refresh_day

    day = (Lesson.objects.filter(term__school=big_school, date__lt=timezone.localdate())
           .order_by("-date").values_list("date", flat=True).first())
    refreshes = []
    for _ in range(5):
        started = time.perf_counter()
        refresh_day(school_id=big_school.pk, date=day)
        refreshes.append(time.perf_counter() - started)
    started = time.perf_counter()
    written = rebuild(first=first, last=timezone.localdate())
    rebuild_seconds = time.perf_counter() - started
    load_after = os.getloadavg()

    print(f"\n数据：{big.count()} 所学校（{BIG}）+ {small.count()} 所（{SMALL}），"
          f"月份 {month:%Y-%m}；负载 {load_before[0]:.1f} → {load_after[0]:.1f}（1 分钟平均）\n")
    print("| 页面 | 中位数 ms | p95 ms | 最慢 ms | SQL 查询数 |")
    print("|---|---|---|---|---|")
    for label, median, p95, worst, n in rows:
        print(f"| {label} | {median:.0f} | {p95:.0f} | {worst:.0f} | {n} |")
    print(f"\n一次点名之后重算该校当天与当月（{sizes[big_school.pk]} 名学生）："
          f"中位数 {statistics.median(refreshes) * 1000:.0f} ms。")
    print(f"从点名记录重算全部汇总表（{first:%Y-%m} 至今，全部学校）：{rebuild_seconds:.1f} 秒，"
          f"{written:,} 行。")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--db", default=DB)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if args.setup:
        setup(args.db, args.schools, args.students, args.months)
        return
    os.environ.update(_env(args.db))
    sys.path.insert(0, str(ROOT))
    measure(runs=args.runs)


if __name__ == "__main__":
    main()
