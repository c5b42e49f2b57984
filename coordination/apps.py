from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination across halls")

    def ready(self) -> None:
        # notice kinds and deadline subject labels, known to every process that sends
        from coordination import notices  # noqa: F401
