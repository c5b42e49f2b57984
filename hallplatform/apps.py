from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class HallPlatformConfig(AppConfig):
    default = True
    name = "hallplatform"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from hallplatform import checks  # noqa: F401, PLC0415 (in ready(): registers system checks)


class OperatorAdminConfig(admin_apps.AdminConfig):
    default = False

    """Django admin on the public host, for platform operators only."""

    default_site = "hallplatform.admin_site.OperatorAdminSite"
