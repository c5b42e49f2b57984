"""The person's online report in the public API, under /api/v1/public/report/ (casework/api/public_report.py)."""

from django.urls import URLPattern, URLResolver, path

from casework.api import public_report as views
from hallplatform.accounts.access import public_endpoint

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_endpoint(views.ReportView.as_view()), name="api-public-report"),
    path("code/", public_endpoint(views.ReportCodeView.as_view()), name="api-public-report-code"),
]
