from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "满意度调查"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel

        from . import panels
        from .demo import surveys_demo

        register_panel(panels.guardian_survey_panel)
        register_panel(panels.office_survey_panel)
        register_demo_step(surveys_demo)
