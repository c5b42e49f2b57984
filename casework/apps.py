from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # The notice kinds and the "case:" person resolver must be known to every process that sends.
        from casework import notices  # noqa: F401, PLC0415 (in ready(): needs the app registry)
