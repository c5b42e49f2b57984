"""The public host's URL conf with the benchmark endpoint in front (also the single-schema URL conf)."""

from django.urls import path

from benchmarks.bench_views import one_query
from config.urls_public import urlpatterns as public_urlpatterns

urlpatterns = [path("bench/one-query", one_query, name="bench_one_query"), *public_urlpatterns]
