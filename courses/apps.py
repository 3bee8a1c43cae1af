from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程与统筹安排"

    def ready(self):
        # The arrangement: a tutor sees the children of their sections, the home page shows
        # each person's part of the arrangement, and a withdrawal frees the seat. The catalog:
        # guardians' and the office's panels.
        from afterschool.access import register_student_scope
        from afterschool.home import register_panel

        from . import catalog_panels, signals
        from .access import tutor_student_scope
        from .views.arrangement import coordinator_panel, guardian_panel, tutor_panel

        register_student_scope(tutor_student_scope)
        for panel in (coordinator_panel, guardian_panel, tutor_panel,
                      catalog_panels.guardian_panel, catalog_panels.office_panel):
            register_panel(panel)
        signals.connect()
        # The demo catalog: after enrollment's step (an earlier app), whose forms it fills in.
        from afterschool.demo import register_demo_step

        from .demo import courses_demo

        register_demo_step(courses_demo)
