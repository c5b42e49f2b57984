"""Response headers that keep personal data out of caches (docs/security.md, "Content-Security-Policy
and caching"). The Content-Security-Policy itself is django-csp's middleware, configured in settings."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

NO_STORE = "no-store, private"


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every answer the application makes itself: pages, API,
    downloads, prints, reveal answers. A view's own ``Cache-Control`` is kept when it already says
    ``no-store``; otherwise ``no-store`` and ``private`` are added to it (``private, no-cache`` would
    still let a browser keep a copy on disk).

    Everything, not only what a signed-in person sees: an API request with a token is authenticated by
    DRF inside the view, after this middleware looked; the login page carries a CSRF token; a page
    added later with personal data is covered without anyone remembering. Static files are answered by
    WhiteNoise, which sits before this middleware, and keep their long caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = NO_STORE
        elif "no-store" not in response["Cache-Control"].lower():
            patch_cache_control(response, no_store=True, private=True)
        return response
