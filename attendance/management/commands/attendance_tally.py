"""``manage.py attendance_tally --check | --rebuild [--school CODE]``

The monthly tallies of the attendance records (:mod:`attendance.tally`): ``--check`` compares
them with a recount of the records and exits with status 1 naming the rows that differ;
``--rebuild`` recomputes them from the records (after restoring a backup, or loading records
with the triggers disabled). PostgreSQL only: on SQLite the reports count the records.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from afterschool.models import School
from attendance.tally import tally_differences, tally_maintained, tally_rebuild


class Command(BaseCommand):
    help = "检查或重建点名月计数（PostgreSQL 由触发器维护，与点名记录逐条一致）。"

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--check", action="store_true", help="与点名记录核对，不一致时列出并返回 1")
        what.add_argument("--rebuild", action="store_true", help="按点名记录重新统计")
        parser.add_argument("--school", help="学校代码，如 jx4（默认全部学校）")

    def handle(self, *args, check=False, rebuild=False, school=None, **options):
        if not tally_maintained():
            raise CommandError("点名月计数只在 PostgreSQL 上维护；SQLite 上各报表直接统计点名记录。")
        school_id = None
        if school:
            found = School.objects.filter(code=school).first()
            if found is None:
                raise CommandError(f"没有学校代码为“{school}”的学校。")
            school_id = found.pk
        if rebuild:
            rows = tally_rebuild(school_id=school_id)
            self.stdout.write(f"已按点名记录重建点名月计数：{rows} 行。")
            return
        found = tally_differences(school_id=school_id)
        if not found:
            self.stdout.write("点名月计数与点名记录一致。")
            return
        for row in found:
            self.stderr.write(
                f"不一致：学校 {row['school_id']} {row['month']:%Y-%m} 学生 {row['student_id']} "
                f"{row['kind']}:{row['section_id']} 计数 {row['kept']} 记录 {row['records']}")
        raise SystemExit(1)
