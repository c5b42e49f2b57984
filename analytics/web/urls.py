"""Statistics pages under /stats/ (analytics/web/views.py), on hall hosts and on the base domain: the
dashboard of the host's scope, recurring problems, improvement suggestions and the departments' answers."""

from django.urls import URLPattern, URLResolver, path

from analytics.web import views

app_name = "stats"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("problems/", views.problems, name="problems"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/new/", views.suggestion_new, name="suggestion_new"),
    path("suggestions/mine/", views.suggestions_mine, name="suggestions_mine"),
    path("suggestions/<int:suggestion_id>/answer/", views.suggestion_answer_view, name="suggestion_answer"),
]
