from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination across halls")

    def ready(self) -> None:
        # In ready(): modules that use models need the app registry.
        from casework.interface import register_case_page_extra, register_home_section  # noqa: PLC0415
        from coordination import notices  # noqa: F401, PLC0415 (notice kinds and deadline labels, in every process)
        from coordination.selectors import case_page_meetings_and_orders  # noqa: PLC0415
        from coordination.web.display import case_page_start_links  # noqa: PLC0415 (uses models)
        from coordination.web.todo import home_sections_for  # noqa: PLC0415 (uses models)

        register_case_page_extra(case_page_meetings_and_orders)
        register_case_page_extra(case_page_start_links)
        register_home_section(home_sections_for)
