"""The application's own settings plus the benchmark endpoint and query counting (tenant runs).

Nothing about tenancy changes: HallRoutingMiddleware, django-tenants' database backend, the cached
host routing and TENANT_LIMIT_SET_CALLS stay exactly as in config.settings.
"""

from benchmarks.querycount import CountingCursor
from config.settings import *  # noqa: F403
from config.settings import DATABASES, MIDDLEWARE

ROOT_URLCONF = "benchmarks.bench_urls_hall"
PUBLIC_SCHEMA_URLCONF = "benchmarks.bench_urls_public"

MIDDLEWARE = ["benchmarks.querycount.QueryCountMiddleware", *MIDDLEWARE]

DATABASES = {
    "default": {
        **DATABASES["default"],
        "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}), "cursor_factory": CountingCursor},
    }
}
