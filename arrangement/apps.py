from django.apps import AppConfig


class ArrangementConfig(AppConfig):
    name = "arrangement"
    verbose_name = "统筹安排"

    def ready(self):
        # A tutor sees the children of their sections, the home page shows each person's part
        # of the arrangement, a withdrawal frees the seat, the catalog's clash checks and its
        # 作业辅导 entry see the homework groups, and the demo fills in the choices.
        from afterschool.access import register_student_scope
        from afterschool.demo import register_demo_step
        from afterschool.home import register_panel
        from courses.homework import register_homework_groups
        from courses.occupancy import register_occupancy

        from . import panels, receivers
        from .access import tutor_student_scope
        from .demo import preferences_demo, publication_demo
        from .occupancy import homework_groups_summary, homework_occupancy

        register_student_scope(tutor_student_scope)
        register_occupancy(homework_occupancy)
        register_homework_groups(homework_groups_summary)
        for panel in (panels.coordinator_panel, panels.guardian_panel, panels.tutor_panel):
            register_panel(panel)
        receivers.connect()
        register_demo_step(preferences_demo)
        register_demo_step(publication_demo)
