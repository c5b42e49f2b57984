"""The city's routing setting on the base domain (city supervisor)."""

from django.urls import path

from tenants import web

app_name = "city_routing"

urlpatterns = [
    path("", web.city_routing, name="edit"),
]
