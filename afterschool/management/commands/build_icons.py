"""``python manage.py build_icons ICONS_DIR``: the icons stylesheet from the templates' icons."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from afterschool.icons import CSS_PATH, build_css, icons_used


class Command(BaseCommand):
    help = ("按模板中用到的图标重新生成 static/vendor/bootstrap-icons/icons.css。"
            "参数：Bootstrap Icons 软件包的 icons 目录（npm pack bootstrap-icons 后解压得到）。")

    def add_arguments(self, parser):
        parser.add_argument("icons_dir", type=Path)

    def handle(self, *args, icons_dir: Path, **options):
        if not icons_dir.is_dir():
            raise CommandError(f"找不到图标目录：{icons_dir}")
        names = icons_used()
        try:
            css = build_css(names, icons_dir)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        CSS_PATH.write_text(css, encoding="utf-8")
        self.stdout.write(f"已写入 {CSS_PATH}：{len(names)} 个图标，{len(css.encode()) / 1024:.1f} KiB。")
