"""API routes (`/api/v1/`), the same on every host; what they return depends on the host's hall."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hallplatform.accounts.api import MeView

urlpatterns = [
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
