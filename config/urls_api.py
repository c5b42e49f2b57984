"""API routes (`/api/v1/`), the same on every host; what they return depends on the host's hall."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hallplatform.accounts.api import ApiTokenDetailView, ApiTokenListView, MeView
from hallplatform.securitylog.api import SecurityLogView
from notifications.api import NoticeListView, NoticeReadView, NoticeUnreadCountView
from tenants.api import CityRoutingView

urlpatterns = [
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/v1/tokens/", ApiTokenListView.as_view(), name="api-tokens"),
    path("api/v1/tokens/<int:pk>/", ApiTokenDetailView.as_view(), name="api-token"),
    path("api/v1/security-log/", SecurityLogView.as_view(), name="api-security-log"),
    path("api/v1/notices/", NoticeListView.as_view(), name="api-notices"),
    path("api/v1/notices/unread-count/", NoticeUnreadCountView.as_view(), name="api-notices-unread-count"),
    path("api/v1/notices/<int:pk>/read/", NoticeReadView.as_view(), name="api-notice-read"),
    path("api/v1/city/routing/", CityRoutingView.as_view(), name="api-city-routing"),
    path("api/v1/public/progress/", include("casework.api.public_progress_urls")),
    path("api/v1/public/report/", include("casework.api.public_report_urls")),
    path("api/v1/public/rating/", include("casework.api.public_rating_urls")),
    path("api/v1/", include("casework.api.urls")),
    path("api/v1/", include("coordination.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script at ?script instead of inline: the
    # Content-Security-Policy runs scripts from this site only (docs/security.md).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="hallplatform/swagger_ui.html"),
        name="api-docs",
    ),
]
