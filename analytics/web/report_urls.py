"""Reports of the statistics (analytics/web/reports.py), at /reports/ on every host."""

from django.urls import URLPattern, URLResolver, path

from analytics.web import reports

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", reports.report_list, name="list"),
    path("new/", reports.report_new, name="new"),
    path("<int:report_id>/", reports.report_detail, name="detail"),
    path("<int:report_id>/pdf/", reports.report_pdf_download, name="pdf"),
]
