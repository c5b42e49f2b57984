"""The platform layer: settings, URLs, the tenant-aware Celery app, accounts and roles, API plumbing."""

from hallplatform.celery import app as celery_app

__all__ = ["celery_app"]
