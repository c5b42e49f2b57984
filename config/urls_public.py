"""URL conf of the bare base domain: the city bureau's portal and the platform admin (public schema)."""

from django.contrib import admin
from django.urls import include, path

from config.urls_common import urlpatterns as common
from coordination.web import home as coordination_home
from hallplatform import diagnostics

urlpatterns = [
    *common,
    path("", coordination_home.portal_home, name="home"),
    path("system/worker-check/", diagnostics.worker_check, name="worker_check"),
    path("notices/", include("notifications.web.urls")),
    path("staff/", include("hallplatform.accounts.staff_urls")),
    path("settings/", include("hallplatform.deadlines.city_urls")),
    path("settings/routing/", include("tenants.city_urls")),
    path("inbox/", include("casework.web.inbox_urls")),
    path("meetings/", include("coordination.web.meeting_urls")),
    path("orders/", include("coordination.web.order_urls")),
    path("portal/", include("coordination.web.portal_urls")),
    path("stats/", include("analytics.web.urls")),
    path("reports/", include("analytics.web.report_urls")),
    path("exports/", include("analytics.web.export_urls")),
    path("admin/", admin.site.urls),
]
