"""The person's progress pages on a hall's host, open without a login (casework/web/person_progress.py)."""

from django.urls import URLPattern, URLResolver, path

from casework.web import person_progress as progress

app_name = "progress"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", progress.progress_lookup, name="lookup"),
    path("code/", progress.progress_code, name="code"),
    path("status/", progress.progress_status, name="status"),
    path("leave/", progress.progress_leave, name="leave"),
    path("rating/", progress.progress_rating, name="rating"),
    path("<str:token>/", progress.progress_token, name="token"),
]
