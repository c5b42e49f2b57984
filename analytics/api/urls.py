"""Statistics API routes under /api/v1/ (filled in by analytics/api/views.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
