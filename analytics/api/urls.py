"""Statistics API routes under /api/v1/ (analytics/api/views.py), the same on every host: the scope is
the host's (a hall's host: the hall; the base domain: the supervisor's city)."""

from django.urls import URLPattern, URLResolver, path, re_path

from analytics.api import files, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.StatsView.as_view(), name="api-stats"),
    path("stats/problems/", views.ProblemsView.as_view(), name="api-stats-problems"),
    path("stats/suggestions/", views.SuggestionListView.as_view(), name="api-stats-suggestions"),
    path("stats/suggestions/mine/", views.MySuggestionListView.as_view(), name="api-stats-suggestions-mine"),
    path(
        "stats/suggestions/<int:pk>/answer/", views.SuggestionAnswerView.as_view(), name="api-stats-suggestion-answer"
    ),
    # the web's /exports/ and /reports/ (analytics/api/files.py)
    re_path(
        r"^stats/exports/cases\.(?P<fmt>csv|xlsx)$",
        files.CaseRegisterExportView.as_view(),
        name="api-stats-export-cases",
    ),
    re_path(r"^stats/exports/stats\.xlsx$", files.StatsWorkbookView.as_view(), name="api-stats-export-stats"),
    re_path(
        r"^stats/exports/stats/(?P<section>[a-z_]+)\.(?P<fmt>csv|xlsx)$",
        files.StatsSectionExportView.as_view(),
        name="api-stats-export-section",
    ),
    path("stats/reports/", files.ReportListView.as_view(), name="api-stats-reports"),
    path("stats/reports/<int:pk>/", files.ReportDetailView.as_view(), name="api-stats-report"),
    path("stats/reports/<int:pk>/pdf/", files.ReportPdfView.as_view(), name="api-stats-report-pdf"),
    path("stats/reports/<int:pk>/xlsx/", files.ReportWorkbookView.as_view(), name="api-stats-report-xlsx"),
]
