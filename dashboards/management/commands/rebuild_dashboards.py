"""``manage.py rebuild_dashboards [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--school CODE]``:
count the aggregate tables again from the records and say how long it took."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from afterschool.models import School
from dashboards.aggregates import rebuild


class Command(BaseCommand):
    help = "从点名记录重新统计看板的日、月汇总表"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="开始日期，默认本月 1 日")
        parser.add_argument("--to", dest="last", help="结束日期，默认今天")
        parser.add_argument("--school", help="只统计这所学校（学校代码）")

    def handle(self, *args, first=None, last=None, school=None, **options):
        today = timezone.localdate()
        try:
            first = dt.date.fromisoformat(first) if first else today.replace(day=1)
            last = dt.date.fromisoformat(last) if last else today
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{exc}") from None
        if first > last:
            raise CommandError(f"开始日期 {first} 晚于结束日期 {last}。")
        ids = None
        if school:
            found = School.objects.filter(code=school).first()
            if found is None:
                raise CommandError(f"没有代码为“{school}”的学校。")
            ids = [found.pk]
        started = time.perf_counter()
        written = rebuild(first=first, last=last, school_ids=ids)
        seconds = time.perf_counter() - started
        self.stdout.write(f"已统计 {first} 至 {last}：写入 {written} 行，用时 {seconds:.1f} 秒。")
