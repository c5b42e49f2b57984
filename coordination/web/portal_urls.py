"""City-level pages (portals); filled in by coordination/web/views.py."""

from django.urls import URLPattern, URLResolver

app_name = "portals"
urlpatterns: list[URLPattern | URLResolver] = []
