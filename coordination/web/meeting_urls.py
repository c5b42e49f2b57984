"""Joint meetings (联席会议), on hall hosts and the base domain (the meetings live in the public schema)."""

from django.urls import URLPattern, URLResolver, path

from coordination.web import views

app_name = "meetings"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_new, name="new"),
    path("new/cases/", views.meeting_case_options, name="case_options"),
    path("resolutions/", views.resolution_list, name="resolutions"),
    path("resolutions/<int:resolution_id>/done/", views.resolution_done_view, name="resolution_done"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>/respond/", views.meeting_respond_view, name="respond"),
    path("<int:meeting_id>/minutes/", views.meeting_minutes, name="minutes"),
    path("<int:meeting_id>/close/", views.meeting_close_view, name="close"),
    path("<int:meeting_id>/print/notice/", views.print_meeting_notice, name="print_notice"),
    path("<int:meeting_id>/print/minutes/", views.print_meeting_minutes, name="print_minutes"),
]
