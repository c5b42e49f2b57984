from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "hallplatform.workdays"
    label = "workdays"
    verbose_name = _("Working days and office hours")
