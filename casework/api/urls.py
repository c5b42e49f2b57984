"""Casework API routes under /api/v1/ (filled in by casework/api/views.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
