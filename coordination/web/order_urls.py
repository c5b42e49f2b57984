"""City-level pages (orders); filled in by coordination/web/views.py."""

from django.urls import URLPattern, URLResolver

app_name = "orders"
urlpatterns: list[URLPattern | URLResolver] = []
