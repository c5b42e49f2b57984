"""The person's online report pages on a hall's host, open without a login (casework/web/person_report.py)."""

from django.urls import URLPattern, URLResolver, path

from casework.web import person_report as report

app_name = "report"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", report.report_start, name="start"),
    path("form/", report.report_form, name="form"),
    path("done/", report.report_done, name="done"),
]
