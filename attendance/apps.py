from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "考勤与安全"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel

        from . import panels
        from .demo import attendance_demo

        # Today's lessons and the demo's lessons and roll calls (part A).
        register_panel(panels.tutor_today_panel)
        register_demo_step(attendance_demo)

        # Leave and absence alerts (part B).
        register_panel(panels.guardian_attendance_panel)
        register_panel(panels.homeroom_leave_panel)
        register_panel(panels.office_alerts_panel)

        # Dismissal (放学交接): the day's close for the office and the duty teachers, the
        # dismissals of the demo's past days.
        from .dismissal_demo import dismissal_demo

        register_panel(panels.dismissal_panel)
        register_demo_step(dismissal_demo)
