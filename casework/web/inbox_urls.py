"""The department inbox, served on every host (hall hosts and the base domain)."""

from django.urls import URLPattern, URLResolver

app_name = "inbox"
urlpatterns: list[URLPattern | URLResolver] = []
