from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "评价与报表"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel

        from . import panels
        from .demo import evaluation_demo

        register_panel(panels.evaluation_panel)
        register_demo_step(evaluation_demo)
