"""``manage.py purge_expired [--dry-run]``

Clears what each school's terms collected about families once the term has been over for the
school's retention time (:mod:`privacy.retention`), and deletes the access log past its own
retention. Safe to run twice; ``--dry-run`` prints the counts and changes nothing. The beat runs
the same service nightly (``privacy-purge-expired`` in ``CELERY_BEAT_SCHEDULE``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.retention import LABELS, purge_expired


class Command(BaseCommand):
    help = "按各校的个人信息保存期限，清除学期结束后已过期的个人信息（--dry-run 只统计不清除）。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将要清除的条数，不做修改")

    def handle(self, *args, dry_run=False, **options):
        report = purge_expired(dry_run=dry_run)
        verb = "将清除" if dry_run else "已清除"
        if dry_run:
            self.stdout.write("试运行：只统计，不做任何修改。")
        if not report.schools:
            self.stdout.write("没有学校有超过保存期限的学期。")
        for expiry, counts in report.schools:
            self.stdout.write(
                f"{expiry.school.name}（保存期限 {expiry.retention_days} 天，"
                f"{expiry.boundary:%Y年%m月%d日}及以前结束的学期）：")
            for key, label in LABELS.items():
                self.stdout.write(f"  {label}：{verb} {counts.get(key, 0)} 条")
        totals = report.totals
        self.stdout.write(f"合计{verb} {sum(totals.values())} 条。")
        self.stdout.write(f"超过 {settings.ACCESS_LOG_RETENTION_DAYS} 天的访问记录：{verb} "
                          f"{report.access_log} 条；家长下载记录：{verb} {report.downloads} 条。")
