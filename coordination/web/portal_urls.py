"""The city supervision portal, on the bare base domain only (public schema)."""

from django.urls import URLPattern, URLResolver, path

from coordination.web import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.portal, name="overview"),
]
