from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallIndexConfig(AppConfig):
    name = "hallindex"
    verbose_name = _("Index across halls")

    def ready(self) -> None:
        # In ready(): the registry and the models need the app registry loaded.
        from hallindex.services import (  # noqa: PLC0415 (needs the app registry)
            department_open_slip_count,
            departments_sent_slips_by,
        )
        from hallplatform.accounts.access import routed_departments_register  # noqa: PLC0415 (app registry)
        from tenants.services import department_open_work_register  # noqa: PLC0415 (needs the app registry)

        department_open_work_register(department_open_slip_count)
        routed_departments_register(departments_sent_slips_by)
