"""The hall's escalation settings, on its host (hall lead)."""

from django.urls import path

from hallplatform.deadlines import web

app_name = "escalation"

urlpatterns = [
    path("escalation/", web.hall_escalation, name="hall"),
]
