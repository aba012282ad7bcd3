"""One settings file for both modes.

With no environment at all the console runs embedded: SQLite under var/, steps run on an
in-process thread pool and live output goes through an in-process channel layer.  Setting
DATABASE_URL and REDIS_URL switches to PostgreSQL, Celery workers on Redis and channels-redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from incident_console.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
)
from runbooks.site import SiteError, read_site_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The customer's setup is one directory, the site: its runbooks, targets, contacts, duties and
# notification defaults (docs/runbooks.md#sites).  SITE is a name under runbooks/sites/ (where
# `default` links to the site the console ships with) or an absolute path.
SITE = env_str("SITE", "default")
SITE_DIR = (BASE_DIR / "runbooks" / "sites" / SITE).resolve()
if not SITE_DIR.is_dir():
    raise ImproperlyConfigured(f"SITE={SITE}: no site directory {SITE_DIR}")
try:
    SITE_SETTINGS = read_site_settings(SITE_DIR)
except SiteError as error:
    raise ImproperlyConfigured(f"SITE={SITE}: {error}") from None

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = not REDIS_URL


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY must be set when REDIS_URL is set (service mode)")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
# believed; none by default.  uvicorn does the resolving and must be given the same list:
# `--forwarded-allow-ips "$TRUSTED_PROXIES"` (Makefile, docker-compose.yml, README).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "incident_console.accounts",
    "incident_console.incidents",
    "incident_console.runs",
    "incident_console.notifications",
    "incident_console.oncall",
    "incident_console.alerts",
    "incident_console.maintenance",
    "incident_console.targets",
    "incident_console.postmortems",
    "django_celery_beat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language (over LocaleMiddleware's choice) and time zone.
    "incident_console.accounts.middleware.PreferenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): five wrong passwords for one user, from any address, lock
# that user out for fifteen minutes (`manage.py axes_reset_username NAME` lifts it sooner).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("LOGIN_COOLOFF_HOURS", 0.25, minimum=0.01)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for ip_address in the lockout; per username nothing rotated (addresses, user
# agents) gets around it, while an address lockout would lock out every user behind one proxy.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The address axes records is the peer's, or the client a TRUSTED_PROXIES proxy named
# (uvicorn resolves that), never a header a client sets.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "incident_console.urls"
ASGI_APPLICATION = "incident_console.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict:
    if DATABASE_URL:
        max_age = env_int("DB_CONN_MAX_AGE", 60)
        config = dj_database_url.parse(
            DATABASE_URL, conn_max_age=max_age, conn_health_checks=max_age > 0
        )
        return {"default": config}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "incident_console.sqlite3",
            "OPTIONS": {
                # Steps write output from worker threads while the web serves pages:
                # WAL lets readers and the one writer proceed, IMMEDIATE avoids lock upgrades.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # A file, not shared-cache memory: step threads need WAL and the busy timeout.
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# The site's language and time zone: what a visitor gets before choosing their own, and what
# notifications, stored timeline entries and postmortems are written in.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", SITE_SETTINGS.language)
TIME_ZONE = env_str("TIME_ZONE", SITE_SETTINGS.time_zone)
USE_I18N = True
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Channels.  channels-redis drops messages past a channel's capacity (default 100), so it is
# raised; the database stays the truth and clients fill any gap from it.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 2000, minimum=100)
if EMBEDDED:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "incident_console.background.channel_layers.ThreadSafeInMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "incident_console.background.channel_layers.ResilientRedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": CHANNEL_CAPACITY,
                "expiry": 60,
                "prefix": env_str("CHANNEL_PREFIX", "incident-console"),
            },
        }
    }

# Celery.  Tasks are acknowledged late and every task is a no-op on redelivery, so a worker
# that dies mid-task loses nothing and runs nothing twice.
STEP_TIMEOUT_DEFAULT = env_int("STEP_TIMEOUT_DEFAULT", 900, minimum=1)
STEP_TIMEOUT_MAX = env_int("STEP_TIMEOUT_MAX", 6 * 3600, minimum=1)
STEP_KILL_GRACE = env_float("STEP_KILL_GRACE", 5.0, minimum=0.1)
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's own Redis transport kills a Celery 5.7 worker when Redis restarts under a running
# step; see RedisChannel in incident_console/celery.py.
CELERY_BROKER_TRANSPORT = (
    "incident_console.celery:RedisTransport" if CELERY_BROKER_URL.startswith("redis://") else None
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = STEP_TIMEOUT_MAX + 300
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": STEP_TIMEOUT_MAX + 600,
    # A broker that vanishes without closing its sockets (a host or network failure) is
    # noticed by TCP keepalive and a bounded connect instead of a read that waits forever.
    "socket_keepalive": True,
    "socket_connect_timeout": 5,
}
# A broker outage is waited out: a worker reconnects by itself for as long as it takes, its
# running steps keep going (their output goes to PostgreSQL and their task message is a no-op
# on redelivery).  A run queued meanwhile is published after a few seconds of retries, or
# else by the housekeeping sweep once Redis is back (RUN_RESEND_AFTER), so a request never
# waits long for the broker and no run stays queued.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 10,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
REAP_INTERVAL = env_float("REAP_INTERVAL", 15.0, minimum=1.0)
# A queued run whose task message was not sent, or was lost with a Redis that restarted empty,
# is sent again after this long (a duplicate message is a no-op: a run is claimed once).
RUN_RESEND_AFTER = env_float("RUN_RESEND_AFTER", 60.0, minimum=1.0)
TICK_INTERVAL = env_float("TICK_INTERVAL", 5.0, minimum=0.5)
# Beat keeps its schedule in the database (django-celery-beat), so maintenance schedules are
# edited in the admin; these two housekeeping entries are written there at every beat start.
# Embedded mode runs the same entries, by task name (incident_console/background/embedded.py).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "reap-lost-runs": {"task": "runs.reap_lost_runs", "schedule": REAP_INTERVAL},
    "escalations-and-notifications": {"task": "notifications.tick", "schedule": TICK_INTERVAL},
    "on-call-pages": {"task": "oncall.tick", "schedule": TICK_INTERVAL},
}

# Step execution.
EMBEDDED_WORKERS = env_int("EMBEDDED_WORKERS", 8, minimum=1)
OUTPUT_FLUSH_INTERVAL = env_float("OUTPUT_FLUSH_INTERVAL", 0.1, minimum=0.01)
OUTPUT_FLUSH_LINES = env_int("OUTPUT_FLUSH_LINES", 10000, minimum=1)
# Output after a quiet spell is stored and pushed at once, up to this many times and lines
# per flush interval; only output coming faster than that waits for the interval (and is
# stored in few large chunks).  0: always wait.
OUTPUT_EAGER_FLUSHES = env_int("OUTPUT_EAGER_FLUSHES", 20, minimum=0)
OUTPUT_EAGER_LINES = env_int("OUTPUT_EAGER_LINES", 500, minimum=0)
OUTPUT_MAX_BYTES = env_int("OUTPUT_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)
RUN_HEARTBEAT_INTERVAL = env_float("RUN_HEARTBEAT_INTERVAL", 5.0, minimum=0.1)
RUN_LOST_AFTER = env_float("RUN_LOST_AFTER", 60.0, minimum=1.0)
# A worker that cannot renew a run's heartbeat this long stops the step itself, before the
# reaper can declare it lost and someone runs it again.
RUN_FENCE_AFTER = env_float("RUN_FENCE_AFTER", RUN_LOST_AFTER / 2, minimum=0.1)
if not RUN_HEARTBEAT_INTERVAL < RUN_FENCE_AFTER < RUN_LOST_AFTER:
    raise ImproperlyConfigured(
        "RUN_FENCE_AFTER must be longer than RUN_HEARTBEAT_INTERVAL and shorter than "
        f"RUN_LOST_AFTER (they are {RUN_HEARTBEAT_INTERVAL:g}, {RUN_FENCE_AFTER:g} and "
        f"{RUN_LOST_AFTER:g} s)"
    )
# An approval request nobody answers is cancelled after this many seconds (by the reaper's
# timer); a lone commander may instead break glass with a reason at least this long.
APPROVAL_EXPIRES_AFTER = env_float("APPROVAL_EXPIRES_AFTER", 30 * 60.0, minimum=60.0)
BREAK_GLASS_MIN_REASON = env_int("BREAK_GLASS_MIN_REASON", 10, minimum=1)
TARGETS_FILE = env_str("TARGETS_FILE", str(SITE_DIR / "targets.yaml"))
SSH_KNOWN_HOSTS = env_str("SSH_KNOWN_HOSTS", str(Path.home() / ".ssh" / "known_hosts"))
DOCKER_BIN = env_str("DOCKER_BIN", "docker")
# Readiness checks of the targets (the Targets page, `manage.py check_targets`): each probe's
# timeout, and how long a result stands before the Targets page checks again.
TARGET_CHECK_TIMEOUT = env_float("TARGET_CHECK_TIMEOUT", 5.0, minimum=0.5)
TARGET_CHECK_MAX_AGE = env_float("TARGET_CHECK_MAX_AGE", 60.0, minimum=1.0)
# Functions (dotted paths) returning more setup problems for the commanders' setup banner, each
# a list of {"what", "why", "link"}: how other apps add theirs (incident_console.setup_status).
SETUP_PROBLEM_PROVIDERS: list[str] = ["incident_console.maintenance.services.setup_problems"]
IMPORTED_RUNBOOKS_DIR = Path(env_str("IMPORTED_RUNBOOKS_DIR", str(VAR_DIR / "runbooks")))
RUNBOOK_DIRS = [SITE_DIR / "runbooks"] + [
    Path(d) for d in env_str("RUNBOOK_DIRS").split(os.pathsep) if d.strip()
]
if IMPORTED_RUNBOOKS_DIR.is_dir():
    RUNBOOK_DIRS.append(IMPORTED_RUNBOOKS_DIR)
# Largest Markdown document the import page and `import_runbook` take (413 past it).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 1024 * 1024, minimum=1024)

# Notifications; the channel and address default to the site's (site.yaml).
CONSOLE_URL = env_str("CONSOLE_URL", "http://127.0.0.1:8000")
SLACK_WEBHOOK_URL = env_str("SLACK_WEBHOOK_URL")
SLACK_CHANNEL = env_str("SLACK_CHANNEL", SITE_SETTINGS.notifications.slack_channel)
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_CHAT_ID = env_str("TELEGRAM_CHAT_ID")
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org")
ONCALL_EMAIL = env_str("ONCALL_EMAIL", SITE_SETTINGS.notifications.oncall_email)
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "incident-console@localhost")
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_BASE = env_float("NOTIFY_RETRY_BASE", 10.0, minimum=0.1)
NOTIFY_SENDING_STALE = env_float("NOTIFY_SENDING_STALE", 120.0, minimum=1.0)
# On-call pages: how long an acknowledgement link or button works; the Slack app's signing
# secret (its interactive buttons are offered only with it); who reads the bot's button presses
# (Telegram answers 409 to a getUpdates that overlaps another, so exactly one reader): the beat
# tick, without waiting, or `manage.py telegram_poll`, long polling TELEGRAM_POLL_WAIT seconds.
ACK_LINK_MAX_AGE = env_int("ACK_LINK_MAX_AGE", 24 * 3600, minimum=60)
SLACK_SIGNING_SECRET = env_str("SLACK_SIGNING_SECRET")
TELEGRAM_POLL = env_choice("TELEGRAM_POLL", "beat", ("beat", "command"))
TELEGRAM_POLL_WAIT = env_int("TELEGRAM_POLL_WAIT", 25, minimum=0)

# Alertmanager webhook: without a token the endpoint refuses everything.
ALERTMANAGER_TOKEN = env_str("ALERTMANAGER_TOKEN")
ALERTMANAGER_URL = env_str("ALERTMANAGER_URL")

# Scheduled maintenance.
# The scenario the monthly drill opens; unset, the one its duty names (maintenance.yaml).
DR_DRILL_SCENARIO = env_str("DR_DRILL_SCENARIO")
MAINTENANCE_OPENS_INCIDENTS = env_bool("MAINTENANCE_OPENS_INCIDENTS", True)

# SLA targets.
SLA_RTO_HOURS = env_float("SLA_RTO_HOURS", 4.0, minimum=0.01)
SLA_RPO_HOURS = env_float("SLA_RPO_HOURS", 24.0, minimum=0.01)
SLA_RPO_CRITICAL_HOURS = env_float("SLA_RPO_CRITICAL_HOURS", 1.0, minimum=0.01)
SLA_MTTR_HOURS = env_float("SLA_MTTR_HOURS", 2.0, minimum=0.01)
# Required in service mode (system check console.E001); embedded, /metrics without a token
# answers loopback clients only.
METRICS_TOKEN = env_str("METRICS_TOKEN")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that anonymous requests get 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("ANON_RATE", "120/min")},
    "EXCEPTION_HANDLER": "incident_console.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "incident_console.api_parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Incident Console API",
    "DESCRIPTION": "Open incidents, run recovery steps, stream their output, review the timeline.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incident_console.incidents.models.Incident.Status",
        "RunStatusEnum": "incident_console.runs.models.StepRun.Status",
        "AlertStatusEnum": ["firing", "resolved"],
    },
    # Swagger UI assets are served by the console itself, never fetched from elsewhere.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Behind HTTPS (a TLS-terminating proxy that sets X-Forwarded-Proto), set HTTPS=true: secure
# cookies, redirects to HTTPS and HSTS.  `manage.py check --deploy` is clean with it.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language switch's cookie (the choice before signing in, and after signing out).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The embedded housekeeping tick would log a line every few seconds.
    "loggers": {"celery.app.trace": {"level": "WARNING"}} if EMBEDDED else {},
}
