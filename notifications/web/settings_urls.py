"""A hall's own wording of its notices, on its host (hall lead)."""

from django.urls import path

from notifications.web import settings

app_name = "notice_texts"

urlpatterns = [
    path("notice-texts/", settings.text_list, name="list"),
    path("notice-texts/<str:kind>/<str:channel>/", settings.text_edit, name="edit"),
]
