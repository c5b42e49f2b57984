"""The city supervision portal, on the bare base domain only (public schema)."""

from django.urls import URLPattern, URLResolver, path

from coordination.web import retention, views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.portal, name="overview"),
    path("meeting-requests/", views.meeting_requests, name="meeting_requests"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("retention/", retention.retention_settings, name="retention"),
    path(
        "meeting-requests/<int:hall_id>/<int:case_id>/decline/",
        views.meeting_request_decline_view,
        name="meeting_request_decline",
    ),
]
