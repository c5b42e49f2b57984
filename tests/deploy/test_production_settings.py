"""Production settings (DJANGO_ENV=production): Django's deployment checks pass without a warning,
HTTPS is enforced except for the probes, and nothing falls back to a development default."""

from __future__ import annotations

import json

import pytest

from tests.deploy.support import BASE_DOMAIN, manage, production_env, run_python

SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "LOG_FORMAT": settings.LOG_FORMAT,
    "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "POOL": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "HIJACK": settings.CELERY_WORKER_HIJACK_ROOT_LOGGER,
}))
"""


def show_settings(env: dict[str, str]) -> dict[str, object]:
    result = run_python(SHOW_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_check_deploy_passes_without_a_warning() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_also_passes_with_the_database_pool() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DATABASE_POOL="1"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_the_development_settings_do_not_pass_it() -> None:
    # the check is not vacuous: without DJANGO_ENV=production it finds what production turns on
    env = production_env()
    del env["DJANGO_ENV"]

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr, check


def test_production_settings_values() -> None:
    values = show_settings(production_env())

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == [BASE_DOMAIN, f".{BASE_DOMAIN}"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["LOG_FORMAT"] == "json"
    assert values["HIJACK"] is False
    assert values["POOL"] is None
    assert values["CONN_MAX_AGE"] == 60


def test_the_pool_replaces_persistent_connections() -> None:
    values = show_settings(production_env(DATABASE_POOL="1", DATABASE_POOL_MAX_SIZE="6"))

    assert values["POOL"] == {"min_size": 1, "max_size": 6, "timeout": 10.0}
    assert values["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections


def test_development_defaults_are_unchanged() -> None:
    env = production_env()
    for key in ("DJANGO_ENV", "DJANGO_SECRET_KEY"):
        del env[key]
    env["BANCHENG_INSECURE_DEV_KEY"] = "1"

    values = show_settings(env)

    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["LOG_FORMAT"] == "text"
    assert values["HIJACK"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DJANGO_SECRET_KEY": "", "BANCHENG_INSECURE_DEV_KEY": "1"}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG must be off when DJANGO_ENV=production"),
        ({"BASE_DOMAIN": ""}, "BASE_DOMAIN must be set when DJANGO_ENV=production"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV must be development or production"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or text"),
        ({"METRICS_ALLOWED_CIDRS": "10.0.0.0/33"}, "METRICS_ALLOWED_CIDRS"),
    ],
)
def test_production_refuses_development_fallbacks_and_mistakes(change: dict[str, str], message: str) -> None:
    env = production_env(**change)
    if change.get("BASE_DOMAIN") == "":
        del env["BASE_DOMAIN"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


HTTPS_BEHAVIOUR = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="%(host)s")
plain = client.get("/")
probe = client.get("/healthz")
secure = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "probe": [probe.status_code, probe.get("Strict-Transport-Security")],
    "secure": [secure.status_code, secure.get("Strict-Transport-Security")],
}))
"""


def test_https_is_enforced_except_for_the_probes() -> None:
    result = run_python(HTTPS_BEHAVIOUR % {"host": BASE_DOMAIN}, production_env())
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    # a page asked for over plain HTTP is redirected to HTTPS
    assert answers["plain"] == [301, f"https://{BASE_DOMAIN}/"]
    # the kubelet's probes speak plain HTTP to the pod: answered, not redirected
    assert answers["probe"] == [200, None]
    # behind the ingress (X-Forwarded-Proto: https) every answer carries HSTS for the halls' subdomains too
    assert answers["secure"] == [200, "max-age=31536000; includeSubDomains; preload"]
