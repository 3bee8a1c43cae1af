"""``manage.py seed_district --schools N --students-per-school M [--months K]``: a county's
worth of schools for the dashboards' benchmark, loaded in bulk (COPY on PostgreSQL), then the
aggregate tables counted from the records — both timed."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from afterschool.models import School
from dashboards.aggregates import rebuild
from dashboards.generator import PASSWORD, DistrictGenerator


class Command(BaseCommand):
    help = "批量生成一个县的学校、学生、点名、巡查和满意度数据（压测用），并统计看板汇总表"

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, required=True, help="学校数")
        parser.add_argument("--students-per-school", type=int, required=True, help="每校学生数")
        parser.add_argument("--months", type=int, default=1,
                            help="生成最近几个月（每月按 30 天，限本学期内）的课次与点名")
        parser.add_argument("--district", default="压测县教育局", help="所属教育局名称")
        parser.add_argument("--prefix", default="cty", help="学校代码前缀（再次运行时跳过已有学校）")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-aggregates", action="store_true", help="不统计看板汇总表")

    def handle(self, *args, schools, students_per_school, months, district, prefix, seed,
               no_aggregates, **options):
        if not 1 <= schools <= 999:
            raise CommandError(f"--schools 应在 1 到 999 之间，现在是 {schools}。")
        if not 10 <= students_per_school <= 10_000:
            raise CommandError(f"--students-per-school 应在 10 到 10000 之间，现在是 "
                               f"{students_per_school}。")
        if not 1 <= months <= 6:
            raise CommandError(f"--months 应在 1 到 6 之间，现在是 {months}。")
        generator = DistrictGenerator(schools=schools, students=students_per_school,
                                      months=months, district=district, prefix=prefix,
                                      seed=seed, stdout=self.stdout)
        report = generator.run()
        self.stdout.write(report.text())
        if no_aggregates:
            return
        today = timezone.localdate()
        ids = list(School.objects.filter(code__startswith=f"{prefix}-")
                   .values_list("pk", flat=True))
        started = time.perf_counter()
        rows = rebuild(first=generator.first.replace(day=1), last=today, school_ids=ids)
        self.stdout.write(f"看板汇总表：{len(ids)} 所学校 {months} 个月，{rows:,} 行，"
                          f"用时 {time.perf_counter() - started:.1f} 秒。")
        self.stdout.write(f"教育局账号 {generator.officer.phone}，各校校长账号见 "
                          f"RoleAssignment；密码均为 {PASSWORD}。")
