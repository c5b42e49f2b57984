"""The window's pages on a hall's host: cases, registration, the case page, print views."""

from django.urls import URLPattern, URLResolver

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = []
