"""Settings for Bancheng, read from the environment (12-factor).

Every setting a deployment may change is an environment variable; see docs/configuration.md.
Without DATABASE_URL / REDIS_URL, `python3 dev.py run|test` starts embedded servers and sets them
(hallplatform/embedded.py), so Django itself always finds both variables set.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# DJANGO_ENV=production (the container image sets it) turns on the production behaviour below:
# HTTPS only, HSTS, secure cookies, JSON logs, and no development fallbacks. Development and tests
# (the default) keep their behaviour; each switch can still be set on its own by its variable.
DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production.")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION or (not DEBUG and not env_bool("BANCHENG_INSECURE_DEV_KEY", False)):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. `python3 dev.py run|test` sets a development key; "
            "a deployment must provide its own."
        )
    SECRET_KEY = "dev-insecure-only-for-local-runs-and-tests-0123456789abcdef"  # noqa: S105

# --- Hosts and tenancy -------------------------------------------------------------------------
# The bare BASE_DOMAIN is the city bureau's portal (public schema); every hall answers on
# <code>.<BASE_DOMAIN>. With the default "localhost", http://wengyuan.localhost:8000/ works in a
# browser without any DNS setup.
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost").strip().lower()
if PRODUCTION and not os.environ.get("BASE_DOMAIN"):
    raise ImproperlyConfigured("BASE_DOMAIN must be set when DJANGO_ENV=production.")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env_list("EXTRA_ALLOWED_HOSTS")]

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "hallplatform.accounts",
    "hallplatform.audit",
    "hallplatform.workdays",
    "hallplatform.deadlines",
    "notifications",
    "hallindex",
    "coordination",
    "analytics",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hallplatform.apps.OperatorAdminConfig",
    "rest_framework",
    "axes",
    # Two-factor login: authenticator apps (TOTP) and recovery codes, in the public schema.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The CAPTCHA before one-time codes (hallplatform/captcha.py): its challenge rows hold a random key,
    # four letters and an expiry, no personal data and nothing of a hall, so one table in the public
    # schema serves every hall's host.
    "captcha",
    "hallplatform",
]
# Apps whose tables live in every hall's own schema (and only there). Declared once, here, before
# their first migration: moving an app between the lists later is painful.
TENANT_APPS = [
    "casework",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Hall"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# One `SET search_path` per request (after the hall is chosen), not one per cursor.
TENANT_LIMIT_SET_CALLS = True
# New halls are cloned from a template schema kept migrated by `migrate_all`: measured faster than
# running every migration per hall, and the gap grows with the migrations (docs/benchmarks.md).
TENANT_BASE_SCHEMA = "hall_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

ROOT_URLCONF = "config.urls_hall"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"

MIDDLEWARE = [
    # /metrics is answered before the host is looked at: Prometheus scrapes each pod by its address.
    "hallplatform.metrics.MetricsMiddleware",
    # Input limits and JSON errors under /api/ (see the "Input limits" block below).
    "hallplatform.request_guards.RequestBodyLimitMiddleware",
    "hallplatform.request_guards.ApiErrorMiddleware",
    "hallplatform.middleware.HallRoutingMiddleware",
    # Security events carry the request's address, user agent and hall (docs/security.md, "Security log").
    "hallplatform.audit.middleware.AuditRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their caching and carry no policy (docs/security.md).
    "csp.middleware.CSPMiddleware",
    "hallplatform.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hallplatform.sessions.SessionTimeoutMiddleware",
    "hallplatform.middleware.HallAccessMiddleware",
    # user.is_verified(): the session gave its second factor; then refuse those who owe one
    # (see the "Two-factor login" block below).
    "django_otp.middleware.OTPMiddleware",
    "hallplatform.middleware.TwoFactorMiddleware",
    # Turns a login refused by django-axes into the lockout page (hallplatform/accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hallplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hallplatform.context_processors.hall",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database ----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bancheng")
# DATABASE_POOL=1: Django's psycopg connection pool, one per process (the Helm chart turns it on for
# the web pods). django-tenants issues `SET search_path` on the first cursor of every connection taken
# from the pool (it forgets the path when Django closes the connection), so a pooled connection never
# carries a hall's schema into another request (tests/deploy/test_connection_pool.py). Celery's
# prefork workers close the pool around every task: leave it off there. A PgBouncer in front of
# PostgreSQL must pool by session, never by transaction (docs/configuration.md).
DATABASE_POOL = env_bool("DATABASE_POOL", False)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        engine="django_tenants.postgresql_backend",
        conn_max_age=0 if DATABASE_POOL else int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASE_POOL:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4")),
        # Seconds a request waits for a free connection before failing.
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (host-to-hall resolution), Celery broker and results -------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bancheng"),
        "TIMEOUT": 3600,
        # OPTIONS: see "Redis outages" below.
    }
}


def _celery_redis_url(url: str) -> str:
    # redis-py (Django's cache) spells a unix socket unix:///path; kombu spells it redis+socket:///path.
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :]
    return url


CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", _celery_redis_url(REDIS_URL))
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _celery_redis_url(REDIS_URL))
# Tests and parallel checkouts sharing one Redis keep their tasks apart by queue name.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "bancheng")
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Redis outages: short timeouts, bounded retries (docs/security.md, "Availability when Redis is down")
# A Redis that is stopped refuses at once; one that is paused or cut off accepts a connection and never
# answers. Either way a request waits at most these timeouts: host routing and kept figures fall back
# to the database, a notice's delivery task is left to the outbox sweep, and for REDIS_OUTAGE_SECONDS
# afterwards this process does not try Redis again (hallplatform/caching.py: RedisOutage).
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "1"))
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "1"))
REDIS_OUTAGE_SECONDS = float(os.environ.get("REDIS_OUTAGE_SECONDS", "5"))
CELERY_PUBLISH_MAX_RETRIES = int(os.environ.get("CELERY_PUBLISH_MAX_RETRIES", "0"))
CACHES["default"]["OPTIONS"] = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# Celery's default: three retries of a failed publish, each waiting on a dead socket.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": CELERY_PUBLISH_MAX_RETRIES,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
# The result store's own reconnect loop (20 retries a second apart by default: the ~19 s wait).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": CELERY_PUBLISH_MAX_RETRIES, "interval_start": 0, "interval_max": 0.2},
}

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "hallplatform.accounts.passwords.LengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Session cookies stay host-only: a hall's session is never sent to another hall's host, and the
# session is additionally bound to the host it was created on (HallAccessMiddleware).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Login lockout, API throttling, API tokens, sessions (docs/security.md) --------------------
# The client's address: REMOTE_ADDR, or, when REMOTE_ADDR is one of TRUSTED_PROXIES (the ingress,
# CIDRs), the right-most address of X-Forwarded-For that is not itself a trusted proxy
# (hallplatform/clientip.py). Empty: X-Forwarded-For is never believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
try:
    TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(cidr, strict=False) for cidr in TRUSTED_PROXIES]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
# django-axes, records in the database: LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address lock that pair out for LOGIN_LOCKOUT_MINUTES (a new failure meanwhile starts it again); a
# success clears the pair. LOGIN_ADDRESS_FAILURE_LIMIT failures from one address (any usernames, within
# the same minutes) lock the address: a flood, far above what a hall's clerks behind one NAT reach.
AUTHENTICATION_BACKENDS = [
    "hallplatform.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    # The admin permissions of the system, security and audit administrators (authenticates nobody).
    "hallplatform.accounts.backends.DutyPermissionBackend",
]
AXES_HANDLER = "hallplatform.accounts.lockout.HallAxesHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "100"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hallplatform.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "hallplatform.accounts.lockout.lockout_response"
# Logins are in the audit trail (hallplatform/audit); lockouts are released on /accounts/lockouts/.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# DRF throttles (hallplatform/throttling.py), counted in Redis (the "throttle" cache), failing open when
# Redis does not answer: unauthenticated calls and bad tokens per address; each person generously.
API_THROTTLE_ANON_RATE = os.environ.get("API_THROTTLE_ANON_RATE", "20/minute")
API_THROTTLE_USER_RATE = os.environ.get("API_THROTTLE_USER_RATE", "5000/hour")
THROTTLE_CACHE = "throttle"
CACHES[THROTTLE_CACHE] = {
    **CACHES["default"],
    "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bancheng") + ":throttle",
    # A throttle waits at most half a second for Redis, then lets the request through.
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}
# API tokens: a new token lives API_TOKEN_DAYS days unless its owner chooses fewer (at most API_TOKEN_MAX_DAYS).
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))
# Sessions end after SESSION_IDLE_TIMEOUT seconds without a request and SESSION_ABSOLUTE_TIMEOUT seconds
# after the login, whatever happens (hallplatform/sessions.py).
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# --- One login for the city (docs/security.md, "One login for the city") -------------------------
# The base domain's login hands a hall's host a ticket (single use, for that host only) that opens the
# host's own session; a ticket is good for SSO_TICKET_SECONDS after it is made. Sessions are Django's
# database sessions, which also remember the sessions of each login, so that logging out ends them all.
SSO_TICKET_SECONDS = int(os.environ.get("SSO_TICKET_SECONDS", "60"))
SESSION_ENGINE = "hallplatform.accounts.session_store"

# --- The province's identity provider (统一身份认证; docs/security.md, "The province's identity provider") --
# OIDC_ENABLED: staff may log in through an OpenID Connect provider, on the city login only (one
# redirect URI: https://<BASE_DOMAIN>/accounts/oidc/callback/). A provider account is bound to a staff
# login by its `sub` claim, linked once by the person's password or by a security administrator.
# mozilla-django-oidc's settings (code flow with PKCE, RS256 ID tokens checked against the provider's
# keys; the issuer and audience are checked too: hallplatform/accounts/oidc.py).
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
# The provider's acr values and amr methods that mean a second factor was given there: such a login
# counts as two-factor on every host (a ticket carries it). Empty: the provider's login is one factor.
OIDC_MFA_ACR = env_list("OIDC_MFA_ACR")
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", "mfa,otp,hwk,sms")
if OIDC_ENABLED and not all(
    [OIDC_OP_ISSUER, OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_JWKS_ENDPOINT, OIDC_RP_CLIENT_ID]
):
    raise ImproperlyConfigured("OIDC_ENABLED needs OIDC_OP_ISSUER, the endpoints and OIDC_RP_CLIENT_ID.")

# --- Two-factor login (docs/security.md, "Two-factor login") -----------------------------------
# TWO_FACTOR_REQUIRED: hall leads, city supervisors and platform operators give a code from an
# authenticator app (or a recovery code) after their password before any page or session API call,
# on every host, and API tokens are made only from such a session. Other staff may enrol on their
# own (and then always give it). On by default with DJANGO_ENV=production; off otherwise, so that
# the demo of `dev.py run` logs in with the password alone. Wrong codes count towards the login
# lockout above (hallplatform/accounts/two_factor.py).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", PRODUCTION)
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "Bancheng")

# --- HTTPS (production: behind an ingress that terminates TLS) ---------------------------------
# The ingress tells the scheme in X-Forwarded-Proto; only it can reach the pods.
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Probes and Prometheus speak plain HTTP to the pod itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Every hall is a subdomain of BASE_DOMAIN on the same wildcard certificate: HSTS covers them all.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token <secret>`, checked against the hashed tokens (hallplatform/accounts/tokens.py).
        "hallplatform.accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hallplatform.permissions.HasRoleOnHost"],
    "DEFAULT_THROTTLE_CLASSES": [
        "hallplatform.throttling.AnonAddressThrottle",
        "hallplatform.throttling.StaffUserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": API_THROTTLE_ANON_RATE, "user": API_THROTTLE_USER_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hallplatform.api.exception_handler",
    # JSON nested no deeper than API_JSON_MAX_DEPTH; page numbers checked (400, not 404).
    "DEFAULT_PARSER_CLASSES": [
        "hallplatform.api.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bancheng API",
    "DESCRIPTION": "办成：政务服务大厅“办不成事”反映窗口 API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Any login may read the schema and its docs (no hall's data in them); anonymous calls are 401.
    "SERVE_PERMISSIONS": ["hallplatform.permissions.IsLoggedInOnHost"],
    # The machines are offline: Swagger UI is served from the project's own static files.
    # The person's endpoints (issue 16), open without a login on a hall's host, have a tag of their own;
    # the staff endpoints keep the tags drawn from their paths.
    "TAGS": [
        {
            "name": "public",
            "description": (
                "办事群众的公开接口：仅在大厅自己的域名下可用，无需登录；每次调用都须提供受理编号（或二维码链接中的令牌）"
                "及登记手机号后四位或短信验证码。Public endpoints for the person: on a hall's own host only, without "
                "a login; every call proves who the person is with the NO (or the token of the printed link) and the "
                "last four digits of the registered phone or a one-time code."
            ),
        }
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, however many fields use it (the casework API has several "status").
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "casework.choices.CaseStatus",
        "SlipStatusEnum": "casework.choices.SlipStatus",
        "HandlingCategoryEnum": "casework.choices.HandlingCategory",
        "ComplexityEnum": "casework.choices.Complexity",
        "ChannelEnum": "casework.choices.Channel",
        "WindowChannelEnum": "casework.choices.WINDOW_CHANNELS",
        "ApplicantKindEnum": "casework.choices.ApplicantKind",
        "CaseResultEnum": "casework.choices.CaseResult",
        "ExclusionReasonEnum": "casework.choices.ExclusionReason",
        "FeedbackMethodEnum": "casework.choices.FeedbackMethod",
        "FollowUpMethodEnum": "casework.choices.FollowUpMethod",
        "SatisfactionEnum": "casework.choices.Satisfaction",
        "DocumentTypeEnum": "hallplatform.personal.DocumentType",
        "BadgeColourEnum": "hallplatform.deadlines.badges.BADGE_COLOURS",
        # The city-level API (coordination/api)
        "MeetingLevelEnum": "coordination.models.MeetingLevel",
        "MeetingStatusEnum": "coordination.models.MeetingStatus",
        "InvitationResponseEnum": "coordination.models.InvitationResponse",
        "ResolutionStatusEnum": "coordination.models.ResolutionStatus",
        "OrderStatusEnum": "coordination.models.OrderStatus",
        "DeadlineStateEnum": "hallplatform.deadlines.models.DeadlineState",
        "RoutingScopeEnum": "tenants.models.RoutingScope",
        "ReportScopeEnum": "analytics.models.ReportScope",
    },
}

# --- Content-Security-Policy, and the ciphers of personal data at rest (docs/security.md) -------
# A strict policy: scripts and styles from this site only, no inline script, style or handler (the
# pages bind their behaviour in static files, Swagger UI runs as drf-spectacular's split view), no
# framing, forms post to this site only. CSP_REPORT_ONLY=1 sends it as Content-Security-Policy-Report-
# Only instead, to try a changed policy on a running system without breaking pages.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
if CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Swagger UI would show a badge loaded from validator.swagger.io: the machines are offline, and the
# policy allows images from this site only.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"deepLinking": True, "validatorUrl": None}
# The cipher of new personal data at rest, and the hash of the blind indexes (casework/crypto.py,
# docs/personal-data.md): aes-256-gcm | sm4-gcm, hmac-sha256 | hmac-sm3 (SM4/SM3 for the 密评,
# GB/T 39786). Switching either is a key rotation: rotate_field_keys re-seals and re-indexes.
FIELD_CIPHER = os.environ.get("FIELD_CIPHER", "aes-256-gcm").strip().lower()
if FIELD_CIPHER not in {"aes-256-gcm", "sm4-gcm"}:
    raise ImproperlyConfigured(f"FIELD_CIPHER must be aes-256-gcm or sm4-gcm, not {FIELD_CIPHER!r}.")
BLIND_INDEX_HASH = os.environ.get("BLIND_INDEX_HASH", "hmac-sha256").strip().lower()
if BLIND_INDEX_HASH not in {"hmac-sha256", "hmac-sm3"}:
    raise ImproperlyConfigured(f"BLIND_INDEX_HASH must be hmac-sha256 or hmac-sm3, not {BLIND_INDEX_HASH!r}.")

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "hallplatform" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / ".data" / "static"))
# Encrypted files (casework/attachments.py: photos of online reports): never under a served path.
PRIVATE_FILES_ROOT = Path(os.environ.get("PRIVATE_FILES_ROOT", BASE_DIR / ".data" / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": os.environ.get("PRIVATE_FILES_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# LOG_FORMAT=json: one JSON object per line with the hall code of the request or task
# (hallplatform/logs.py); text: the plain messages of development.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"hall": {"()": "hallplatform.logs.HallLogFilter"}},
    "formatters": {"json": {"()": "hallplatform.logs.json_formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["hall"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# Celery workers keep Django's log configuration (and so the JSON lines) instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Casework (docs/casework.md) -------------------------------------------------------------------
# How long after 办结归档 or 不予受理 the window (who took the step, or the hall's lead) can take it
# back with a recorded reversal (撤销办结 / 撤销不予受理), as long as no SMS went to the person since.
CASE_UNDO_MINUTES = int(os.environ.get("CASE_UNDO_MINUTES", "10"))

# --- Prometheus metrics (hallplatform/metrics.py) ----------------------------------------------
# /metrics answers only requests made straight to a process (never through the ingress) from these
# networks, and with METRICS_TOKEN set only those bearing it. Empty: nobody.
METRICS_ALLOWED_CIDRS = env_list(
    "METRICS_ALLOWED_CIDRS", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(cidr, strict=False) for cidr in METRICS_ALLOWED_CIDRS]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_CIDRS: {error}") from error
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Observability -----------------------------------------------------------------------------
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from hallplatform.observability import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))

# --- Notices (notifications/; docs/notifications.md) -------------------------------------------
# Providers: SMS_PROVIDER console (log + ConsoleMessage table) | tencent | dotted path of a Provider;
# EMAIL_PROVIDER django (send_mail through EMAIL_BACKEND) | console | dotted path.
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console").strip()
EMAIL_PROVIDER = os.environ.get("EMAIL_PROVIDER", "django").strip()
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"bancheng@{BASE_DOMAIN}")
# Tencent Cloud SMS (SMS_PROVIDER=tencent). SMS_TEMPLATE_IDS maps notice kinds to the ids of the
# templates approved at Tencent: "deadline_warning=1234567,deadline_breach=1234568".
TENCENTCLOUD_SECRET_ID = os.environ.get("TENCENTCLOUD_SECRET_ID", "")
TENCENTCLOUD_SECRET_KEY = os.environ.get("TENCENTCLOUD_SECRET_KEY", "")
TENCENTCLOUD_SMS_REGION = os.environ.get("TENCENTCLOUD_SMS_REGION", "ap-guangzhou")
# The API: a host reached over HTTPS, or scheme://host[:port] (http:// only for a local fake API in tests).
TENCENTCLOUD_SMS_ENDPOINT = os.environ.get("TENCENTCLOUD_SMS_ENDPOINT", "sms.tencentcloudapi.com")
SMS_SDK_APP_ID = os.environ.get("SMS_SDK_APP_ID", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
SMS_TEMPLATE_IDS = dict(item.split("=", 1) for item in env_list("SMS_TEMPLATE_IDS") if "=" in item)
SMS_TIMEOUT_SECONDS = int(os.environ.get("SMS_TIMEOUT_SECONDS", "10"))
# Delivery: attempts, exponential backoff (seconds, capped), and the beat sweep's timings.
NOTICE_MAX_ATTEMPTS = int(os.environ.get("NOTICE_MAX_ATTEMPTS", "5"))
NOTICE_RETRY_BASE_SECONDS = int(os.environ.get("NOTICE_RETRY_BASE_SECONDS", "30"))
NOTICE_RETRY_MAX_SECONDS = int(os.environ.get("NOTICE_RETRY_MAX_SECONDS", "600"))
NOTICE_PENDING_AFTER_SECONDS = int(os.environ.get("NOTICE_PENDING_AFTER_SECONDS", "60"))
NOTICE_SWEEP_LEASE_SECONDS = int(os.environ.get("NOTICE_SWEEP_LEASE_SECONDS", "300"))
NOTICE_SENDING_STALE_SECONDS = int(os.environ.get("NOTICE_SENDING_STALE_SECONDS", "600"))
NOTICE_SWEEP_BATCH = int(os.environ.get("NOTICE_SWEEP_BATCH", "500"))

# --- Links in notices (notifications/links.py; docs/notifications.md) ---------------------------
# A message sent without a request (e-mail, WeCom, DingTalk…) links to its subject's page as
# <scheme>://<hall code>.<BASE_DOMAIN>[:port]/path; the in-app list uses the request's scheme and port.
NOTICE_LINK_SCHEME = os.environ.get("NOTICE_LINK_SCHEME", "https" if PRODUCTION else "http").strip().lower()
if NOTICE_LINK_SCHEME not in {"http", "https"}:
    raise ImproperlyConfigured(f"NOTICE_LINK_SCHEME must be http or https, not {NOTICE_LINK_SCHEME!r}.")
NOTICE_LINK_PORT = os.environ.get("NOTICE_LINK_PORT", "" if PRODUCTION else "8000").strip()
if NOTICE_LINK_PORT and not NOTICE_LINK_PORT.isdigit():
    raise ImproperlyConfigured(f"NOTICE_LINK_PORT must be a port number or empty, not {NOTICE_LINK_PORT!r}.")

# --- The person's progress page (casework/progress.py; docs/progress-page.md) ------------------------
# A closed (or not accepted) case stays visible this many days after it was closed; then it is unknown.
PROGRESS_CLOSED_VISIBLE_DAYS = int(os.environ.get("PROGRESS_CLOSED_VISIBLE_DAYS", "180"))
# How long a confirmed person sees their case without confirming again (minutes, in their session).
PROGRESS_SESSION_MINUTES = int(os.environ.get("PROGRESS_SESSION_MINUTES", "30"))
# Wrong tries (wrong digits or code, unknown NO or token) before blocking, per NO/token and per
# address, within PROGRESS_BLOCK_MINUTES; the block lasts until that window has passed.
PROGRESS_FAILURE_LIMIT = int(os.environ.get("PROGRESS_FAILURE_LIMIT", "5"))
PROGRESS_ADDRESS_FAILURE_LIMIT = int(os.environ.get("PROGRESS_ADDRESS_FAILURE_LIMIT", "20"))
PROGRESS_BLOCK_MINUTES = int(os.environ.get("PROGRESS_BLOCK_MINUTES", "30"))
# One-time codes: validity (seconds), codes per phone per 24 hours, codes per address per hour.
PROGRESS_CODE_SECONDS = int(os.environ.get("PROGRESS_CODE_SECONDS", "300"))
PROGRESS_CODE_DAILY_LIMIT = int(os.environ.get("PROGRESS_CODE_DAILY_LIMIT", "5"))
PROGRESS_CODE_ADDRESS_LIMIT = int(os.environ.get("PROGRESS_CODE_ADDRESS_LIMIT", "10"))
# Requests to the progress pages per address (Redis counts; fail open like the API throttles).
PROGRESS_THROTTLE_RATE = os.environ.get("PROGRESS_THROTTLE_RATE", "30/minute")

# The CAPTCHA before a one-time code (hallplatform/captcha.py): required once an address asked for
# CAPTCHA_AFTER_CODE_REQUESTS codes (on any page or API, whatever the NO) within CAPTCHA_WINDOW_MINUTES
# (0: always). A picture is good CAPTCHA_TIMEOUT minutes and for one try. The audio alternative needs
# the flite program (Debian's flite): CAPTCHA_FLITE_PATH, by default flite on the PATH; empty or
# missing, the audio link is not offered. The picture and audio are throttled per address.
CAPTCHA_AFTER_CODE_REQUESTS = int(os.environ.get("CAPTCHA_AFTER_CODE_REQUESTS", "2"))
CAPTCHA_WINDOW_MINUTES = int(os.environ.get("CAPTCHA_WINDOW_MINUTES", "60"))
CAPTCHA_TIMEOUT = int(os.environ.get("CAPTCHA_TIMEOUT", "5"))
CAPTCHA_FLITE_PATH = os.environ.get("CAPTCHA_FLITE_PATH", shutil.which("flite") or "").strip() or None
CAPTCHA_THROTTLE_RATE = os.environ.get("CAPTCHA_THROTTLE_RATE", "30/minute")
CAPTCHA_LENGTH = 4
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_FONT_SIZE = 26
CAPTCHA_2X_IMAGE = False
# Letters only, without those easily taken for another (I/L, O/Q): read aloud as English letters.
CAPTCHA_CHALLENGE_FUNCT = "hallplatform.captcha.letters_challenge"

# --- Online reporting (casework/reports.py; docs/online-reporting.md) ---------------------------------
# The one-time codes of /report/ keep PROGRESS_CODE_SECONDS (5 minutes) and are good once.
REPORT_CODE_DAILY_LIMIT = int(os.environ.get("REPORT_CODE_DAILY_LIMIT", "5"))  # per phone per 24 hours
REPORT_CODE_ADDRESS_LIMIT = int(os.environ.get("REPORT_CODE_ADDRESS_LIMIT", "10"))  # per address per hour
# Reports per verified phone per 24 hours (above it: refused, the window is told by phone instead).
REPORT_DAILY_LIMIT = int(os.environ.get("REPORT_DAILY_LIMIT", "3"))
# How long a verified phone may fill in the form (minutes, in the session).
REPORT_SESSION_MINUTES = int(os.environ.get("REPORT_SESSION_MINUTES", "30"))
REPORT_THROTTLE_RATE = os.environ.get("REPORT_THROTTLE_RATE", "30/minute")
# Photos of documents: how many, bytes per file, bytes in all (JPEG, PNG or PDF, checked by content);
# the total stays under UPLOAD_BODY_MAX_BYTES.
REPORT_PHOTO_MAX_FILES = int(os.environ.get("REPORT_PHOTO_MAX_FILES", "3"))
REPORT_PHOTO_MAX_BYTES = int(os.environ.get("REPORT_PHOTO_MAX_BYTES", str(4 * 1024 * 1024)))
REPORT_PHOTO_TOTAL_BYTES = int(os.environ.get("REPORT_PHOTO_TOTAL_BYTES", str(8 * 1024 * 1024)))
# The version of the personal-data notice (个人信息处理告知) recorded with each consent.
REPORT_NOTICE_VERSION = os.environ.get("REPORT_NOTICE_VERSION", "2026-12")

# How often beat looks for notices whose delivery task was lost (notice_deliver_pending).
NOTICE_SWEEP_SECONDS = float(os.environ.get("NOTICE_SWEEP_SECONDS", "60"))

# --- Channels to staff (docs/notifications.md, "Channels to staff") -------------------------------
# A channel is offered to staff only when its provider is configured: SMS (SMS_PROVIDER, above),
# e-mail (EMAIL_PROVIDER), WeCom and DingTalk (their ids and secrets below).
# Aliyun SMS (SMS_PROVIDER=aliyun): an AccessKey allowed to send SMS; it shares SMS_SIGN_NAME and
# SMS_TEMPLATE_IDS (Aliyun template codes, "deadline_breach=SMS_123456789") with Tencent.
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com")
ALIYUN_SMS_REGION = os.environ.get("ALIYUN_SMS_REGION", "cn-hangzhou")
# WeCom application messages (企业微信; 政务微信/粤政易 private deployments: their own API base).
WECOM_PROVIDER = os.environ.get("WECOM_PROVIDER", "wecom").strip()
WECOM_CORP_ID = os.environ.get("WECOM_CORP_ID", "")
WECOM_AGENT_ID = os.environ.get("WECOM_AGENT_ID", "")
WECOM_SECRET = os.environ.get("WECOM_SECRET", "")
WECOM_API_BASE = os.environ.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
# DingTalk work notifications of an internal app (钉钉; 浙政钉-style government DingTalk: its API base).
DINGTALK_PROVIDER = os.environ.get("DINGTALK_PROVIDER", "dingtalk").strip()
DINGTALK_APP_KEY = os.environ.get("DINGTALK_APP_KEY", "")
DINGTALK_APP_SECRET = os.environ.get("DINGTALK_APP_SECRET", "")
DINGTALK_AGENT_ID = os.environ.get("DINGTALK_AGENT_ID", "")
DINGTALK_API_BASE = os.environ.get("DINGTALK_API_BASE", "https://oapi.dingtalk.com")
# Timeout (seconds) of one call to the WeCom or DingTalk API.
NOTICE_HTTP_TIMEOUT_SECONDS = float(os.environ.get("NOTICE_HTTP_TIMEOUT_SECONDS", "10"))
# How often beat looks whose daily digest is due (at the first office hour of the person's hall).
NOTICE_DIGEST_CHECK_SECONDS = float(os.environ.get("NOTICE_DIGEST_CHECK_SECONDS", "600"))

# The deadline sweep (hallplatform/deadlines/sweep.py); one beat process runs it every minute.
DEADLINE_SWEEP_SECONDS = float(os.environ.get("DEADLINE_SWEEP_SECONDS", "60"))

# The hour (Asia/Shanghai) at which beat looks whether today is the first working day of the month.
MONTHLY_REPORTS_HOUR = int(os.environ.get("MONTHLY_REPORTS_HOUR", "7"))

# Statistics (analytics/dashboards.py): a dashboard's figures are kept this many seconds and shown
# with the time they were counted; beat counts every city's current month again every half of it.
# 0: nothing kept, every view counts afresh (and beat does not count ahead).
STATS_MAX_AGE_SECONDS = int(os.environ.get("STATS_MAX_AGE_SECONDS", "300"))

CELERY_BEAT_SCHEDULE = {
    "deadlines-sweep": {
        "task": "deadlines.deadline_sweep_task",
        "schedule": DEADLINE_SWEEP_SECONDS,
        "options": {"expires": max(DEADLINE_SWEEP_SECONDS - 5, 1)},
    },
    "notices-deliver-pending": {
        "task": "notifications.notice_deliver_pending_task",
        "schedule": NOTICE_SWEEP_SECONDS,
        # A sweep not started before the next is due is dropped: the next one does its work.
        "options": {"expires": max(NOTICE_SWEEP_SECONDS - 10, 1)},
    },
    "notices-daily-digests": {
        "task": "notifications.notice_digest_send_due_task",
        "schedule": NOTICE_DIGEST_CHECK_SECONDS,
        "options": {"expires": max(NOTICE_DIGEST_CHECK_SECONDS - 10, 1)},
    },
    # Every morning (Asia/Shanghai); the task works only on the first working day of the month
    # (national calendar) and makes last month's reports of every hall and city (analytics/reports.py).
    "analytics-monthly-reports": {
        "task": "analytics.analytics_monthly_reports_task",
        "schedule": crontab(hour=MONTHLY_REPORTS_HOUR, minute=0),
        "options": {"expires": 6 * 3600},
    },
}

# --- Security log (docs/security.md, "Security log") ------------------------------------------------
# Audit events are kept this many days, then deleted by beat's daily purge (the only deletion the
# database allows on the trail). At least 183 (six months, 网络安全法 art. 21): a smaller value stops
# the start (and the database refuses to purge anything younger anyway).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "400"))
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: audit events are kept at least 183 days (网络安全法 art. 21)."
    )
# The hour (Asia/Shanghai) of the daily purge.
AUDIT_PURGE_HOUR = int(os.environ.get("AUDIT_PURGE_HOUR", "3"))
# Expired SSO tickets, ended city logins and expired sessions are forgotten every hour.
CELERY_BEAT_SCHEDULE["city-logins-purge"] = {
    "task": "accounts.city_logins_purge_task",
    "schedule": crontab(minute=17),
    "options": {"expires": 3000},
}
# The progress page's old wrong tries and codes (every hall), expired CAPTCHA pictures and code
# requests (casework/tasks.py; docs/progress-page.md), every hour.
CELERY_BEAT_SCHEDULE["progress-purge"] = {
    "task": "casework.progress_purge_task",
    "schedule": crontab(minute=41),
    "options": {"expires": 3000},
}
CELERY_BEAT_SCHEDULE["audit-purge-expired"] = {
    "task": "audit.audit_purge_expired_task",
    "schedule": crontab(hour=AUDIT_PURGE_HOUR, minute=30),
    "options": {"expires": 6 * 3600},
}

# Retention of the personal data of finished cases (docs/personal-data.md "Retention"): every night at
# this hour (Asia/Shanghai) each hall erases the cases past its city's period.
CASE_RETENTION_HOUR = int(os.environ.get("CASE_RETENTION_HOUR", "2"))
CELERY_BEAT_SCHEDULE["case-retention-sweep"] = {
    "task": "casework.case_retention_sweep_task",
    "schedule": crontab(hour=CASE_RETENTION_HOUR, minute=45),
    "options": {"expires": 6 * 3600},
}

if STATS_MAX_AGE_SECONDS > 0:
    _stats_every = max(STATS_MAX_AGE_SECONDS / 2, 10)
    CELERY_BEAT_SCHEDULE["analytics-city-dashboards"] = {
        "task": "analytics.analytics_city_dashboards_task",
        "schedule": _stats_every,
        "options": {"expires": max(_stats_every - 5, 1)},
    }

# --- Input limits (docs/security.md, "Input limits") ------------------------------------------------
# A request body larger than this answers 413 (hallplatform/request_guards.py); file uploads
# (multipart/form-data) have their own limit. The Helm chart's ingress body size follows the larger.
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", str(1024 * 1024)))
UPLOAD_BODY_MAX_BYTES = int(os.environ.get("UPLOAD_BODY_MAX_BYTES", str(10 * 1024 * 1024)))
# Django's own check of a form's fields (without its files) says the same.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# JSON nested deeper than this answers 400 (hallplatform.api.DepthLimitedJSONParser).
API_JSON_MAX_DEPTH = int(os.environ.get("API_JSON_MAX_DEPTH", "32"))
