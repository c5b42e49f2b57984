"""Helpers of the deployment tests: the production environment, and processes run from the checkout."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BASE_DOMAIN = "bancheng.example.gov.cn"

# What a deployment's environment always has; the variables dev.py and the test run set are left out.
_DEVELOPMENT_ONLY = ("BANCHENG_INSECURE_DEV_KEY", "DJANGO_DEBUG", "DJANGO_ENV", "DJANGO_SECRET_KEY", "LOG_FORMAT")


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process: DJANGO_ENV=production, real-looking keys, and this
    machine's PostgreSQL and Redis (from the test run's environment)."""
    env = {key: value for key, value in os.environ.items() if key not in _DEVELOPMENT_ONLY}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        BASE_DOMAIN=BASE_DOMAIN,
        FIELD_ENCRYPTION_KEYS="test:" + base64.b64encode(os.urandom(32)).decode(),
        BLIND_INDEX_KEY=base64.b64encode(os.urandom(32)).decode(),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
