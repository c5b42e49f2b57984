"""Routes served on every host: health, metrics, login, language."""

from django.urls import include, path
from django.views.i18n import set_language

from config.urls_api import urlpatterns as api_urlpatterns
from hallplatform import health, metrics
from hallplatform.accounts.access import public_endpoint
from hallplatform.securitylog import web as securitylog_web

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Answered by hallplatform.metrics.MetricsMiddleware before host routing; listed for introspection.
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("hallplatform.accounts.urls")),
    path("i18n/setlang/", public_endpoint(set_language), name="set_language"),
    path("security-log/", securitylog_web.security_log, name="security_log"),
    *api_urlpatterns,
]
