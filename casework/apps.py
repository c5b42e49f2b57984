from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # The notice kinds and the "case:" person resolver must be known to every process that sends.
        from casework import notices  # noqa: F401, PLC0415 (in ready(): needs the app registry)
        from casework.ratings import rating_default_timer_fire  # noqa: PLC0415 (in ready(): needs the app registry)
        from hallplatform.deadlines.models import DeadlineKind  # noqa: PLC0415 (in ready(): needs the app registry)
        from hallplatform.deadlines.timers import timer_handler_register  # noqa: PLC0415 (in ready())

        # the default rating (默认好评) when its silent timer comes due (casework/ratings.py)
        timer_handler_register(DeadlineKind.RATING_DEFAULT, rating_default_timer_fire)
