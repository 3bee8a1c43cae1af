"""``manage.py arrange``: the arrangement outside the web pages, in the exchange format.

    manage.py arrange --instance FILE.json [--mechanism exact|lottery]
        Solve an instance (FORMAT.md) and print the solution JSON on standard output.
        A malformed instance exits 2 with a message naming the offender, printing no solution.

    manage.py arrange --term ID --export FILE.json [--seed N]
        Write the term's real instance, as the web application would solve it, so a school's
        arrangement can be reproduced outside the database. The seed defaults to that of the
        term's latest run, so solving the file gives that run's placements.

Parsing, solving and printing are the solver's own command line (``arrangement.solver.cli``), so
the two never disagree about the format.
"""

from __future__ import annotations

import io
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from afterschool.models import Term

from ...exchange import term_instance
from ...models import Arrangement


class Command(BaseCommand):
    help = "统筹安排：求解交换格式的实例（--instance），或导出某学期的实例（--term … --export）。"

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--instance", metavar="FILE.json",
                            help="要求解的实例文件（交换格式），“-” 表示从标准输入读取")
        source.add_argument("--term", type=int, metavar="ID", help="要导出实例的学期编号")
        parser.add_argument("--mechanism", choices=["exact", "lottery"], default="exact",
                            help="exact：按志愿优化分配（默认）；lottery：随机顺序抽签分配")
        parser.add_argument("--export", metavar="FILE.json", help="导出实例写入的文件")
        parser.add_argument("--seed", type=int, help="导出实例的随机种子（默认取最近一次安排的）")

    def handle(self, *args, **options):
        if options["instance"]:
            return self.solve(options["instance"], options["mechanism"])
        if not options["export"]:
            raise CommandError("导出学期实例须给出 --export FILE.json")
        return self.export(options["term"], options["export"], options["seed"])

    def solve(self, path: str, mechanism: str) -> None:
        from ...solver.cli import main

        out, err = io.StringIO(), io.StringIO()
        code = main([path, "--mechanism", mechanism], sys.stdin, out, err)
        # Written whole, not through OutputWrapper.write per chunk (which adds line endings).
        self.stdout.write(out.getvalue(), ending="")
        self.stderr.write(err.getvalue(), ending="")
        if code:
            sys.exit(code)

    def export(self, term_id: int, path: str, seed: int | None) -> None:
        term = Term.objects.filter(pk=term_id).first()
        if term is None:
            raise CommandError(f"没有编号为 {term_id} 的学期")
        if seed is None:
            latest = Arrangement.objects.filter(term=term).order_by("-version").first()
            seed = latest.seed if latest else 0
        data = term_instance(term, seed=seed)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        self.stderr.write(f"已导出 {term.name} 的实例：{len(data['students'])} 名学生，"
                          f"{sum(len(c['sections']) for c in data['courses'])} 个教学班，"
                          f"随机种子 {seed} → {path}")

