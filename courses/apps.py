from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程目录"

    def ready(self):
        # The catalog's home panels (guardians: browse; the office: counts) and its demo step.
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel

        from . import panels
        from .demo import courses_demo

        register_panel(panels.guardian_panel)
        register_panel(panels.office_panel)
        register_demo_step(courses_demo)
