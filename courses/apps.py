from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程与统筹安排"

    def ready(self):
        # The arrangement: a tutor sees the children of their sections, and a withdrawal
        # frees the seat.
        from afterschool.access import register_student_scope

        from . import signals
        from .selectors.arrangement import tutor_student_scope

        register_student_scope(tutor_student_scope)
        signals.connect()
