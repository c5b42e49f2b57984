from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallIndexConfig(AppConfig):
    name = "hallindex"
    verbose_name = _("Index across halls")
