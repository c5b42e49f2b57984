"""Gunicorn settings of the web role (deploy/entrypoints/web.sh), from the environment.

WEB_WORKERS processes of WEB_THREADS threads each. With the database pool on (DATABASE_POOL=1) every
process keeps its own pool: give it about as many connections as threads (DATABASE_POOL_MAX_SIZE),
and keep replicas × WEB_WORKERS × DATABASE_POOL_MAX_SIZE below what PostgreSQL accepts.
"""

import os

bind = [f"{os.environ.get('WEB_BIND', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104 (inside a pod)
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# SIGTERM (a rolling update, a scale-down): requests in progress get this long to finish.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycle worker processes now and then, so that slow leaks never add up.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Worker heartbeats go to memory, not to the (read-only) root file system.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn's advice)
# The ingress logs every request already; WEB_ACCESS_LOG=1 adds gunicorn's own access log.
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "").lower() in {"1", "true", "yes", "on"} else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()

if os.environ.get("LOG_FORMAT", "json" if os.environ.get("DJANGO_ENV") == "production" else "text") == "json":
    # gunicorn's own lines (start, worker exits, access) as JSON too, like Django's (hallplatform/logs.py).
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"hall": {"()": "hallplatform.logs.HallLogFilter"}},
        "formatters": {"json": {"()": "hallplatform.logs.json_formatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["hall"],
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["hall"],
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
