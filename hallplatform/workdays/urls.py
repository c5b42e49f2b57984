"""Office hours and closures on a hall's host (hall lead only)."""

from django.urls import path

from hallplatform.workdays.web import views

app_name = "workdays"

urlpatterns = [
    path("office-hours/", views.office_hours, name="office_hours"),
    path("office-hours/seasons/new/", views.season_edit, name="season_new"),
    path("office-hours/seasons/<int:season_id>/", views.season_edit, name="season_edit"),
    path("office-hours/seasons/<int:season_id>/remove/", views.season_remove, name="season_remove"),
    path("office-hours/closures/", views.closure_create, name="closure_add"),
    path("office-hours/closures/<int:closure_id>/remove/", views.closure_delete, name="closure_remove"),
]
