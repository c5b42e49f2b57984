from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from notifications import checks, kinds  # noqa: F401 (registers the checks and the built-in kinds)
