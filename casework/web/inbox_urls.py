"""The department inbox, served on every host (hall hosts and the base domain)."""

from django.urls import URLPattern, URLResolver, path

from casework.web import department

app_name = "inbox"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", department.inbox, name="list"),
]
