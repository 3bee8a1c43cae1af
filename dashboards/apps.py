from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "看板"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel

        from . import panels
        from .demo import dashboards_demo

        register_panel(panels.capacity_panel)
        register_panel(panels.bureau_panel)
        register_panel(panels.dashboard_panel)
        register_demo_step(dashboards_demo)

        from . import receivers

        receivers.connect()
