from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "报名与审核"

    def ready(self):
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel
        from courses.demand import Demand, register_demand

        from . import panels
        from .demo import enrollment_demo
        from .selectors import course_demand, times_course_chosen

        register_panel(panels.guardian_panel)
        register_panel(panels.reviewer_panel)
        register_panel(panels.office_panel)
        # The catalog shows how many chose each course, and keeps a course somebody chose.
        register_demand(Demand(annotations=course_demand, chosen=times_course_chosen))
        register_demo_step(enrollment_demo)
