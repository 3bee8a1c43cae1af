"""python manage.py import_roster 名册.xlsx --school jx4 [--kind students|staff] [--json]
[--create-homerooms]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from afterschool.models import School
from afterschool.roster import (
    COLUMNS,
    ERRORS_NOT_LISTED,
    STUDENTS,
    RowError,
    preview_lines,
    roster_import,
    summary_items,
)


class Command(BaseCommand):
    help = ("导入学生及监护人名册或教职工名册（.xlsx）：先逐行校验，全部通过才一次性写入；"
            "有错误时列出所有错误、不写入任何数据并以状态 1 退出。")

    def add_arguments(self, parser):
        parser.add_argument("path", help="名册文件路径（.xlsx）")
        parser.add_argument("--school", required=True, help="学校代码")
        parser.add_argument("--kind", choices=sorted(COLUMNS), default=STUDENTS,
                            help="students = 学生及监护人名册（默认），staff = 教职工名册")
        parser.add_argument("--create-homerooms", action="store_true",
                            help="允许新增本校还没有的年级和班级（否则列出它们并拒绝导入）")
        parser.add_argument("--json", action="store_true",
                            help="以 JSON 输出结果（成功时为各项计数，失败时为 errors 列表）")

    def handle(self, *args, **options):
        path, school, kind, as_json = (options["path"], options["school"], options["kind"],
                                       options["json"])
        found = School.objects.filter(code=school).first()
        if found is None:
            self.fail([RowError(None, "", f"找不到学校代码为「{school}」的学校。")], as_json)
        if not Path(path).is_file():
            self.fail([RowError(None, "", f"找不到文件：{path}")], as_json)
        result = roster_import(school=found, path_or_file=path, kind=kind,
                               create_homerooms=options["create_homerooms"])
        if not result.ok:
            self.fail(result.errors, as_json, total=result.error_count)
        if result.needs_confirmation:
            lines = preview_lines(result.preview)
            if as_json:
                self.stdout.write(_dumps({"needs_confirmation": result.preview}))
            else:
                for line in lines:
                    self.stderr.write(line)
                self.stderr.write("没有写入任何数据。确认要新增这些班级，请加上 --create-homerooms 重新运行。")
            raise SystemExit(1)
        if as_json:
            self.stdout.write(_dumps(result.summary))
            return
        counts = "，".join(f"{label} {value}" for label, value in summary_items(kind, result.summary))
        self.stdout.write(self.style.SUCCESS(f"{found.name}：导入完成，共 {result.total_rows} 行。"
                                             f"{counts}。"))
        for note in result.notes:
            self.stdout.write(f"提示：{note}")

    def fail(self, errors: list[RowError], as_json: bool, total: int = 0):
        """Every listed error; past the first few hundred only the count (``total``)."""
        total = max(total, len(errors))
        if as_json:
            data = {"errors": [e.as_dict() for e in errors]}
            if total > len(errors):
                data["errors_not_listed"] = total - len(errors)
            self.stdout.write(_dumps(data))
        else:
            for error in errors:
                self.stderr.write(error.describe())
            if total > len(errors):
                self.stderr.write(ERRORS_NOT_LISTED.format(count=total - len(errors),
                                                           listed=len(errors)))
            self.stderr.write(f"共 {total} 处错误，没有写入任何数据。")
        raise SystemExit(1)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
