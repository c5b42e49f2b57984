from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Statistics and analysis")

    def ready(self) -> None:
        from analytics import notices  # noqa: F401, PLC0415 (in ready(): modules that use models need the app registry; notice kinds known to every process)
