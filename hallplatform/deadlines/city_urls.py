"""The city's default escalation settings, on the base domain (city supervisor)."""

from django.urls import path

from hallplatform.deadlines import web

app_name = "city_escalation"

urlpatterns = [
    path("escalation/", web.city_escalation, name="city"),
]
