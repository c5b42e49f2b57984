"""The trivial endpoint all three configurations serve: exactly one ordinary query."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from hallplatform.accounts.access import public_endpoint
from tenants.models import Hall


@public_endpoint
def one_query(request: HttpRequest) -> HttpResponse:
    """Count the rows of a small public table (the hall directory) and return the number."""
    return HttpResponse(f"{Hall.objects.count()}\n", content_type="text/plain")
