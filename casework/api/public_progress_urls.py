"""The person's progress API under /api/v1/public/progress/ (casework/api/public_progress.py), open
without a login: marked ``public_endpoint`` so that HallAccessMiddleware and the isolation tests know."""

from django.urls import URLPattern, URLResolver, path

from casework.api import public_progress as views
from hallplatform.accounts.access import public_endpoint

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_endpoint(views.ProgressView.as_view()), name="api-public-progress"),
    path("code/", public_endpoint(views.ProgressCodeView.as_view()), name="api-public-progress-code"),
    path("captcha/", public_endpoint(views.ProgressCaptchaView.as_view()), name="api-public-progress-captcha"),
]
