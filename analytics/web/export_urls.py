"""Exports of the statistics (analytics/web/exports.py), at /exports/ on every host."""

from django.urls import URLPattern, URLResolver, re_path

from analytics.web import exports

app_name = "exports"
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^cases\.(?P<fmt>xlsx|csv)$", exports.case_register_download, name="cases"),
    re_path(r"^stats\.xlsx$", exports.stats_download, name="stats"),
    re_path(r"^stats/(?P<section>[a-z_]+)\.(?P<fmt>xlsx|csv)$", exports.stats_section_download, name="stats_section"),
]
