"""``python manage.py seed_demo``: the demo school, then each app's demo step, then the logins."""

import time

from django.core.management.base import BaseCommand
from django.urls import reverse

from afterschool.demo import activation_example, build_demo, format_logins, run_demo_steps


class Command(BaseCommand):
    help = "建立演示学校（可重复运行，不会重复创建），并打印各角色的演示账号。"

    def handle(self, *args, **options):
        started = time.monotonic()
        self.stdout.write("正在建立演示数据……")
        demo = build_demo(stdout=self.stdout)
        run_demo_steps(demo, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已就绪（用时 {time.monotonic() - started:.1f} 秒）。"))
        self.stdout.write("")
        self.stdout.write(format_logins(demo))
        guardian = activation_example(demo["school"])
        if guardian is not None:
            self.stdout.write("")
            self.stdout.write(f"试用家长激活：打开 {reverse('activate')}，手机号 {guardian.phone}，"
                              f"激活码 {guardian.activation_code}（家长 {guardian.name}）。")
