"""The project's configuration: settings, the two URL confs (a hall's host, the base domain), the
tenant-aware Celery app, WSGI/ASGI. It is the top layer: it may import every app; no app imports it."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
