from django.apps import AppConfig


class AfterschoolConfig(AppConfig):
    name = "afterschool"
    verbose_name = "课后服务"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .access import remember_school_at_login

        user_logged_in.connect(remember_school_at_login, dispatch_uid="afterschool.school")
