"""The single-schema baseline: the same application without tenancy on the request path.

HallRoutingMiddleware is removed and Django's own PostgreSQL backend replaces django-tenants'
(which would issue `SET search_path` itself), so every request runs against the database's
default search path (the public schema) with the public URL conf. Everything else, including the
benchmark endpoint and the query counting, is as in benchmarks.settings_tenant.
"""

from benchmarks.settings_tenant import *  # noqa: F403
from benchmarks.settings_tenant import DATABASES, MIDDLEWARE

MIDDLEWARE = [m for m in MIDDLEWARE if m != "hallplatform.middleware.HallRoutingMiddleware"]

DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}}

ROOT_URLCONF = "benchmarks.bench_urls_public"
