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
