from django.urls import path

from notifications.web import views

app_name = "notices"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("channels/", views.channels, name="channels"),
    path("channels/staff/", views.staff_channels, name="staff_channels"),
    path("channels/staff/<int:user_id>/", views.staff_channel_edit, name="staff_channel_edit"),
]
