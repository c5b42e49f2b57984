from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from notifications import checks, kinds, tasks  # noqa: F401, PLC0415 (in ready(): needs the app registry)
        # checks and the built-in kinds are registered by importing them; the tasks, so that
        # notifications.scheduling finds them in the Celery registry in every process
