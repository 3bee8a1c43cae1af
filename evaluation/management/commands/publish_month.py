"""``manage.py publish_month --school CODE --month YYYY-MM [--xlsx PATH] [--json]``

Builds a new version of a school's monthly 公示 from the shell, through the same service as
the beat's job and the coordinator's button (one transaction; a version is whole or absent),
and prints it: a summary in Chinese, or with ``--json`` the shape other tools read::

    {"school": "CODE", "month": "YYYY-MM", "version": 1,
     "teachers":  [{"name", "phone", "lessons_scheduled", "lessons_delivered",
                    "roll_calls_on_time", "substitutions", "period_equivalents", …}],
     "homerooms": [{"name", "students", "expected", "present", "late", "leave", "absent",
                    "missing", …}],
     "courses":   [… as homerooms …], …}
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from afterschool.models import School
from evaluation import exceptions as e
from evaluation.models import PublicationJob
from evaluation.months import month_key, parse_month
from evaluation.services.publications import publication_build, publication_json


class Command(BaseCommand):
    help = "生成某校某月的课后服务公示（新版本），可导出 .xlsx 或以 JSON 输出。"

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="学校代码，如 jx4")
        parser.add_argument("--month", required=True, help="月份，YYYY-MM，如 2024-11")
        parser.add_argument("--xlsx", help="同时把 .xlsx 写到这个路径")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出公示内容")

    def handle(self, *args, school, month, xlsx=None, json=False, **options):
        found = School.objects.filter(code=school).first()
        if found is None:
            raise CommandError(e.PUBLICATION_SCHOOL_UNKNOWN.format(code=school))
        try:
            first = parse_month(month)
        except e.EvaluationError as exc:
            raise CommandError(exc.message) from None
        job = PublicationJob.objects.create(school=found, month=first,
                                            trigger=f"command:{uuid.uuid4().hex}")
        publication = publication_build(job_id=job.pk)
        if publication is None:
            job.refresh_from_db()
            raise CommandError(job.error or "生成失败。")
        if xlsx:
            path = Path(xlsx)
            try:
                path.write_bytes(bytes(publication.workbook))
            except OSError as exc:
                raise CommandError(f"无法写入 {path}：{exc.strerror}") from None
        if json:
            self.stdout.write(_dumps(publication_json(publication)))
            return
        content = publication.content
        totals = content["totals"]
        self.stdout.write(
            f"{found.name} {month_key(first)} 公示第 {publication.version} 版："
            f"教师 {len(content['teachers'])} 人，班级 {len(content['homerooms'])} 个，"
            f"课程 {len(content['courses'])} 项；应到 {totals['expected']} 人次，"
            f"出勤 {totals['present']}，迟到 {totals['late']}，请假 {totals['leave']}，"
            f"缺勤 {totals['absent']}，未点名 {totals['missing']}。"
            + (f" 已写入 {xlsx}。" if xlsx else ""))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)
