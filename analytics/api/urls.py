"""Statistics API routes under /api/v1/ (analytics/api/views.py), the same on every host: the scope is
the host's (a hall's host: the hall; the base domain: the supervisor's city)."""

from django.urls import URLPattern, URLResolver, path

from analytics.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.StatsView.as_view(), name="api-stats"),
    path("stats/problems/", views.ProblemsView.as_view(), name="api-stats-problems"),
    path("stats/suggestions/", views.SuggestionListView.as_view(), name="api-stats-suggestions"),
    path("stats/suggestions/mine/", views.MySuggestionListView.as_view(), name="api-stats-suggestions-mine"),
    path(
        "stats/suggestions/<int:pk>/answer/", views.SuggestionAnswerView.as_view(), name="api-stats-suggestion-answer"
    ),
]
