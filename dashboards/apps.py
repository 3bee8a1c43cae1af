from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "看板"

    def ready(self):
        from afterschool.home import register_panel

        from . import panels

        register_panel(panels.capacity_panel)
