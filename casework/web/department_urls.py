"""Department pages: the cross-hall inbox and, on the slip's hall host, the slip page."""

from django.urls import URLPattern, URLResolver

app_name = "slips"
urlpatterns: list[URLPattern | URLResolver] = []
