"""City-level API routes under /api/v1/ (filled in by coordination/api/views.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
