"""City-level pages (meetings); filled in by coordination/web/views.py."""

from django.urls import URLPattern, URLResolver

app_name = "meetings"
urlpatterns: list[URLPattern | URLResolver] = []
