"""A hall's URL conf with the benchmark endpoint in front."""

from django.urls import path

from benchmarks.bench_views import one_query
from config.urls_hall import urlpatterns as hall_urlpatterns

urlpatterns = [path("bench/one-query", one_query, name="bench_one_query"), *hall_urlpatterns]
