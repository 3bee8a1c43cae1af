from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "值日与巡查"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel
        from attendance.duty import register_duty_provider

        from . import panels
        from .demo import safety_demo
        from .duty import rostered_duty_staff

        # Attendance escalates to the rostered duty teachers (None: no roster that day).
        register_duty_provider(rostered_duty_staff)
        register_panel(panels.duty_panel)
        register_panel(panels.office_patrol_panel)
        register_panel(panels.teacher_findings_panel)
        register_demo_step(safety_demo)
