from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "报名与审核"

    def ready(self):
        from afterschool.home import register_panel

        from . import panels

        register_panel(panels.guardian_panel)
        register_panel(panels.reviewer_panel)
        register_panel(panels.office_panel)

        # The core's demo registry is being written alongside: join it only if it is there.
        try:
            from afterschool import demo as core_demo
        except ImportError:  # pragma: no cover - depends on the tree
            core_demo = None
        if core_demo is not None and hasattr(core_demo, "register_demo_step"):
            from .demo import enrollment_demo

            core_demo.register_demo_step(enrollment_demo)
