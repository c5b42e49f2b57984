from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Halls and departments")

    def ready(self) -> None:
        from tenants import routing  # noqa: F401, PLC0415 (in ready(): connects cache invalidation signals)
