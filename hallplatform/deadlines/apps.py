from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "hallplatform.deadlines"
    label = "deadlines"
    verbose_name = _("Deadlines")

    def ready(self) -> None:
        from hallplatform.deadlines import receivers  # noqa: F401, PLC0415 (in ready(): recompute on calendar changes)
