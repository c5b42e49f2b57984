"""URL conf of a hall's host (`<code>.<BASE_DOMAIN>`): the hall's own schema."""

from django.urls import include, path

from casework.web import views as casework_views
from config.urls_common import urlpatterns as common
from hallplatform import diagnostics

urlpatterns = [
    *common,
    path("", casework_views.hall_home, name="home"),
    path("system/worker-check/", diagnostics.worker_check, name="worker_check"),
    path("settings/", include("hallplatform.workdays.urls")),
    path("settings/", include("hallplatform.deadlines.urls")),
    path("settings/", include("notifications.web.settings_urls")),
    path("notices/", include("notifications.web.urls")),
    path("staff/", include("hallplatform.accounts.staff_urls")),
    path("cases/", include("casework.web.urls")),
    path("slips/", include("casework.web.department_urls")),
    path("inbox/", include("casework.web.inbox_urls")),
    path("meetings/", include("coordination.web.meeting_urls")),
    path("orders/", include("coordination.web.order_urls")),
    path("stats/", include("analytics.web.urls")),
    path("reports/", include("analytics.web.report_urls")),
    path("exports/", include("analytics.web.export_urls")),
    path("progress/", include("casework.web.progress_urls")),
    path("captcha/", include("hallplatform.captcha_urls")),
    path("report/", include("casework.web.report_urls")),
]
