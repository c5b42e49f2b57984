"""A URL conf for the Sentry tests: a hall's routes plus two views that fail."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls_hall import urlpatterns as hall_urlpatterns


class BoomError(RuntimeError):
    """The failure the test views raise."""


def boom(request: HttpRequest) -> HttpResponse:
    # Read the submitted form, as a registration view would, so that the personal data in it is
    # parsed and held in a local variable of the failing frame.
    applicant = request.POST.get("name")
    raise BoomError(f"registration failed ({'with' if applicant else 'without'} a name)")


def register_twice(request: HttpRequest) -> HttpResponse:
    """Registers the submitted person twice: PostgreSQL's unique violation names the ID number."""
    form = request.POST
    row = [form["id_number"], form["name"], form["phone"], form["address"]]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE boom_registration"
            " (id_number text PRIMARY KEY, name text, phone text, address text) ON COMMIT DROP"
        )
        for _ in range(2):
            cursor.execute("INSERT INTO boom_registration VALUES (%s, %s, %s, %s)", row)
    return HttpResponse("registered twice")


urlpatterns = [
    *hall_urlpatterns,
    path("boom/", boom, name="boom"),
    path("register-twice/", register_twice, name="register_twice"),
]
