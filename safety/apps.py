from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "值日与巡查"

    def ready(self):
        from attendance.duty import register_duty_provider

        from .duty import rostered_duty_staff

        register_duty_provider(rostered_duty_staff)
