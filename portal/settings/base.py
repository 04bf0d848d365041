"""Settings shared by every environment.

Everything an operator may change is read from the environment through the
one ``env`` helper below, with defaults that make the embedded run work on a
fresh machine: SQLite and the kombu filesystem broker under ``var/``.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
# The embedded default key is for the local demo only; production.py refuses it.
DEMO_SECRET_KEY = "insecure-embedded-demo-key-change-me"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEMO_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("PORTAL_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "accounts.api",
    "verification",
    "appeals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "portal.sqlite3"}
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes in the embedded run.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL", default="locmemcache://portal")
CACHES = {"default": env.cache_url_config(CACHE_URL)}

# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.LimitedAccountBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:status"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How many reverse proxies (TLS terminator, load balancer) stand between the
# clients and the portal; each appends to X-Forwarded-For. 0: clients connect
# directly. The client's address is read through it (accounts.signin).
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)

# Lockout after repeated failures, per username and client address together,
# so one attacker cannot lock a victim out from everywhere. The address comes
# from django-ipware through PORTAL_TRUSTED_PROXY_COUNT (never the proxy's).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_address"
# The locked-out page names the time the pause ends; trying again while
# locked out must not move that time (nor let one try every cool-off keep
# an account locked).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Password reset requests, per client address and per email address
# ("<n>/<second|minute|hour|day>"); over either, the form says when to retry.
PORTAL_PASSWORD_RESET_RATE_PER_ADDRESS = env.str(
    "PORTAL_PASSWORD_RESET_RATE_PER_ADDRESS", default="10/hour")
PORTAL_PASSWORD_RESET_RATE_PER_EMAIL = env.str(
    "PORTAL_PASSWORD_RESET_RATE_PER_EMAIL", default="3/hour")

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and private files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
# Serve static files straight from static/ in the embedded run and tests
# (no collectstatic needed); production.py turns this off.
WHITENOISE_USE_FINDERS = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns while it is missing
# Identity images and evidence live here; no URL pattern serves this folder.
PRIVATE_MEDIA_ROOT = env.path("PORTAL_PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# ---------------------------------------------------------------------------
# Forms and messages
# ---------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
from django.contrib.messages import constants as message_constants  # noqa: E402

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# ---------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@example.invalid")
# The SMTP backend's server (production's default backend).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# ---------------------------------------------------------------------------
# Content security policy (django-csp 4): only our own origin.
# ---------------------------------------------------------------------------
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    },
}

# ---------------------------------------------------------------------------
# Celery
# ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS = env.json(
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    default={
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600},
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("out", "processed", "control"):
        (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "notify"
CELERY_TASK_ROUTES = {
    "verification.tasks.*": {"queue": "checks"},
    "accounts.tasks.holds_*": {"queue": "review"},
    "appeals.tasks.*": {"queue": "review"},
    "accounts.tasks.notify_*": {"queue": "notify"},
    "accounts.api.tasks.*": {"queue": "notify"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-holds": {
        "task": "accounts.tasks.holds_escalate_overdue",
        "schedule": timedelta(minutes=1),
    },
    "lift-expired-holds": {
        "task": "accounts.tasks.holds_lift_expired",
        "schedule": timedelta(minutes=1),
    },
}
# Apps add their own beat entries in their settings section below.

# ---------------------------------------------------------------------------
# Outbox (accounts/outbox.py): side effects recorded with the change
# ---------------------------------------------------------------------------
# The relay (manage.py outbox_relay) looks for work this often when idle...
PORTAL_OUTBOX_POLL_SECONDS = env.float("PORTAL_OUTBOX_POLL_SECONDS", default=0.5)
# ...and waits at most this long between tries while the broker is down.
PORTAL_OUTBOX_MAX_BACKOFF_SECONDS = env.float("PORTAL_OUTBOX_MAX_BACKOFF_SECONDS", default=10.0)
# After a failed publish, a web process leaves publishing to the relay this long.
PORTAL_OUTBOX_BREAKER_SECONDS = env.float("PORTAL_OUTBOX_BREAKER_SECONDS", default=5.0)
PORTAL_OUTBOX_KEEP_PUBLISHED = timedelta(days=env.int("PORTAL_OUTBOX_KEEP_DAYS", default=7))
CELERY_BEAT_SCHEDULE["outbox-relay"] = {
    "task": "accounts.tasks.outbox_relay", "schedule": timedelta(minutes=1)}
CELERY_BEAT_SCHEDULE["outbox-prune"] = {
    "task": "accounts.tasks.outbox_prune", "schedule": timedelta(hours=6)}

# ---------------------------------------------------------------------------
# Portal rules
# ---------------------------------------------------------------------------
# How long before a hold's deadline the owner is reminded (notice and email);
# a second reminder goes one day before. See "Owner journeys" below.
PORTAL_DEADLINE_WARNING = timedelta(days=env.int("PORTAL_DEADLINE_WARNING_DAYS", default=3))

# ---------------------------------------------------------------------------
# API (django-rest-framework + drf-spectacular)
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Account-status portal integration API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}


# ---------------------------------------------------------------------------
# Operations: more than one machine (databases, Redis, private files)
# ---------------------------------------------------------------------------
# Persistent connections, checked before reuse so a connection the database
# closed (restart, failover, idle timeout) is replaced instead of failing a
# request. Safe for SQLite too: each gunicorn thread keeps its own.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The status page's fingerprint, asked on every reload, is a prepared statement
# (accounts/selectors.py); off behind a pooler that cannot keep them apart.
PORTAL_DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if PORTAL_DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Django turns psycopg's prepared statements off (None); any threshold turns
    # them on for a cursor that asks. Django's own cursors bind in the client
    # and never ask, so only the fingerprint's is prepared.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)

# Private files on S3-compatible object storage (django-storages), so every
# web and worker host sees the same photos and evidence. "local" keeps them
# under PORTAL_PRIVATE_MEDIA_ROOT (one machine only; production refuses it
# unless PORTAL_ALLOW_LOCAL_PRIVATE_STORAGE=true). Any other value is a
# storage class path with PORTAL_PRIVATE_STORAGE_OPTIONS (JSON) as options.
# S3 credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the host's role).
PORTAL_PRIVATE_STORAGE_BACKEND = env.str("PORTAL_PRIVATE_STORAGE_BACKEND", default="local")
PORTAL_S3_OPTIONS = {
    "bucket_name": env.str("PORTAL_S3_BUCKET", default=""),
    "endpoint_url": env.str("PORTAL_S3_ENDPOINT_URL", default="") or None,
    "region_name": env.str("PORTAL_S3_REGION", default="") or None,
    "location": env.str("PORTAL_S3_PREFIX", default="private"),
    "addressing_style": env.str("PORTAL_S3_ADDRESSING_STYLE", default="") or None,
    # Never overwrite (names are random anyway); objects inherit the bucket's
    # private default; a signed URL, if anything ever asks for one, lives a minute.
    "file_overwrite": False,
    "default_acl": None,
    "querystring_expire": 60,
}
if PORTAL_PRIVATE_STORAGE_BACKEND != "local":
    STORAGES["private"] = {
        "BACKEND": (
            "storages.backends.s3.S3Storage"
            if PORTAL_PRIVATE_STORAGE_BACKEND == "s3"
            else PORTAL_PRIVATE_STORAGE_BACKEND
        ),
        "OPTIONS": {
            **(PORTAL_S3_OPTIONS if PORTAL_PRIVATE_STORAGE_BACKEND == "s3" else {}),
            **env.json("PORTAL_PRIVATE_STORAGE_OPTIONS", default={}),
        },
    }
    STORAGES["default"] = STORAGES["private"]

# The broker and the cache must be separate Redis databases (or servers): the
# broker's Redis needs maxmemory-policy noeviction (an evicted message is a
# lost task), the cache's an LRU policy (allkeys-lru). RedBeat's schedule and
# lock live with the broker, where nothing is evicted.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Exactly one beat: RedBeat's lock in Redis. A second beat (another host,
    # a restart overlapping the old process) waits for the lock and takes over
    # within the lock timeout if the holder dies.
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = env.str("CELERY_REDBEAT_REDIS_URL", default=CELERY_BROKER_URL)
    CELERY_REDBEAT_REDIS_OPTIONS: dict[str, object] = {}
    CELERY_REDBEAT_KEY_PREFIX = env.str("CELERY_REDBEAT_KEY_PREFIX", default="redbeat")
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("CELERY_REDBEAT_LOCK_TIMEOUT", default=60)
    CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=10)
# The embedded run's one beat (Procfile) keeps its state under var/.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# ---------------------------------------------------------------------------
# Operations: Celery time limits and worker recycling
# ---------------------------------------------------------------------------
# Soft limit (SoftTimeLimitExceeded inside the task, which can clean up) and
# hard limit (the pool kills the child), in seconds, per queue; every task
# gets its queue's limits (portal.tasklimits.QueueTimeLimits).
PORTAL_CELERY_TIME_LIMITS = {
    "checks": (env.int("PORTAL_CHECKS_SOFT_TIME_LIMIT", default=120),
               env.int("PORTAL_CHECKS_TIME_LIMIT", default=180)),
    "review": (env.int("PORTAL_REVIEW_SOFT_TIME_LIMIT", default=60),
               env.int("PORTAL_REVIEW_TIME_LIMIT", default=90)),
    "notify": (env.int("PORTAL_NOTIFY_SOFT_TIME_LIMIT", default=60),
               env.int("PORTAL_NOTIFY_TIME_LIMIT", default=90)),
}
CELERY_TASK_ANNOTATIONS = ["portal.tasklimits.QueueTimeLimits"]
# A child process is replaced after this many tasks (or this much memory, in
# KiB), so a leak in an image library cannot grow without bound. The memory
# bound sits above what a checks process holds after a 12-MP submission (the
# OCR and face models plus the decoded photos, about 700 MB): a lower bound
# replaced the child after every check, reloading the models each time
# (a third more CPU per submission; bench/bench_checks_scaling.py).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1_200_000)

# ---------------------------------------------------------------------------
# Operations: health, metrics, logs, errors
# ---------------------------------------------------------------------------
INSTALLED_APPS += ["portal", "health_check", "django_prometheus", "django_guid"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First after it: every later log line of the request carries its id.
    "django_guid.middleware.guid_middleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /metrics answers a bearer token (Authorization: Bearer <token>) or an
# address in the allow-list. The embedded run allows loopback; production
# allows no address unless told, so set the token there.
PORTAL_METRICS_TOKEN = env.str("PORTAL_METRICS_TOKEN", default="")
PORTAL_METRICS_ALLOWED_IPS = env.list("PORTAL_METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
# The gauges read PostgreSQL and the broker at scrape time; one reading is
# shared by every process through the cache for this long.
PORTAL_METRICS_CACHE_SECONDS = env.int("PORTAL_METRICS_CACHE_SECONDS", default=15)

# Request ids (django-guid): taken from X-Request-ID when a proxy sets a
# valid one, else made; returned in the response, passed to every Celery
# task sent while handling the request, and written on every log line.
from django_guid.integrations import CeleryIntegration  # noqa: E402

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    # use_django_logging: workers log through LOGGING below, not Celery's own setup.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}

# JSON lines (python-json-logger) unless LOG_FORMAT=text; the embedded
# run (DEBUG) defaults to text for people reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {
            "()": "django_guid.log_filters.CorrelationId",
            "correlation_id_field": "request_id",
        },
        "celery_task": {"()": "portal.logs.CeleryTaskFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s "
                      "%(request_id)s %(task_id)s %(task_name)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,  # ISO 8601 in UTC, whatever the process's time zone
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
                      "[%(request_id)s %(task_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "celery_task"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
    },
}

# Error tracking (sentry-sdk), only when SENTRY_DSN is set. Identity data
# must not leave: no request bodies, no local variables, no user details.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration as SentryCeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), SentryCeleryIntegration()],
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
    )

# ---------------------------------------------------------------------------
# Untrusted files (portal/files/)
# ---------------------------------------------------------------------------
# The guard for photos and PDFs that verification and appeals share, and the
# sweeper of files that no row owns.
INSTALLED_APPS += ["portal.files"]
# Private files and folders are the portal's own user's alone (FileSystemStorage).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Uploads too large to keep in memory are spooled here rather than in /tmp,
# so the sweeper can remove what a killed worker left behind; no file spools
# more than the largest accepted upload.
FILE_UPLOAD_TEMP_DIR = str(env.path("PORTAL_UPLOAD_TEMP_DIR", default=str(VAR_DIR / "uploads")))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "portal.files.uploads.CappedTemporaryFileUploadHandler",
]
# At most this many files in one request (evidence takes 5, liveness frames 8).
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Identity photos and liveness frames: the short side in pixels, and long/short.
PORTAL_PHOTO_MIN_EDGE = env.int("PORTAL_PHOTO_MIN_EDGE", default=200)
PORTAL_PHOTO_MAX_RATIO = env.float("PORTAL_PHOTO_MAX_RATIO", default=4.0)
# Evidence pictures: a cropped line of text is short; a whole chat is long.
PORTAL_EVIDENCE_IMAGE_MIN_EDGE = env.int("PORTAL_EVIDENCE_IMAGE_MIN_EDGE", default=32)
PORTAL_EVIDENCE_IMAGE_MAX_RATIO = env.float("PORTAL_EVIDENCE_IMAGE_MAX_RATIO", default=50.0)
# Long side of a stored picture; larger adds nothing a reviewer can see.
PORTAL_IMAGE_STORE_MAX_EDGE = 4096
# Evidence PDFs: checked in a child process with these bounds.
PORTAL_PDF_MAX_PAGES = env.int("PORTAL_PDF_MAX_PAGES", default=300)
PORTAL_PDF_MAX_OBJECTS = env.int("PORTAL_PDF_MAX_OBJECTS", default=100_000)
PORTAL_PDF_MAX_DECODED_BYTES = env.int("PORTAL_PDF_MAX_DECODED_BYTES", default=512 * 1024 * 1024)
PORTAL_PDF_MAX_STREAM_BYTES = env.int("PORTAL_PDF_MAX_STREAM_BYTES", default=160 * 1024 * 1024)
PORTAL_PDF_MAX_IMAGE_PIXELS = env.int("PORTAL_PDF_MAX_IMAGE_PIXELS", default=150_000_000)
PORTAL_PDF_MEMORY_BYTES = env.int("PORTAL_PDF_MEMORY_BYTES", default=1024 * 1024 * 1024)
PORTAL_PDF_CPU_SECONDS = env.int("PORTAL_PDF_CPU_SECONDS", default=20)
PORTAL_PDF_TIMEOUT_SECONDS = env.int("PORTAL_PDF_TIMEOUT_SECONDS", default=30)
# Private files no row points to (a worker killed between writing a file and
# committing its row, a rolled-back transaction) are deleted after this long.
PORTAL_FILES_ORPHAN_GRACE = timedelta(
    minutes=env.int("PORTAL_FILES_ORPHAN_GRACE_MINUTES", default=60))
# Folder of private storage -> "app_label.Model.field" naming its files.
PORTAL_FILES_OWNERS = {
    "verification": "verification.VerificationImage.name",
    "appeals": "appeals.Attachment.file",
}
CELERY_TASK_ROUTES["portal.files.tasks.*"] = {"queue": "review"}
CELERY_BEAT_SCHEDULE["files-sweep"] = {
    "task": "portal.files.tasks.files_sweep", "schedule": timedelta(hours=1)}

# ---------------------------------------------------------------------------
# Verification (verification/)
# ---------------------------------------------------------------------------
# Fernet keys (comma-separated, newest first) encrypting document numbers at
# rest; adding a new key in front and re-saving rotates. The embedded default
# is for the demo only; production must set its own.
DEMO_FIELD_ENCRYPTION_KEY = "bG9jYWwtZGVtby1rZXktbm90LWZvci1wcm9kdWN0aW8="
PORTAL_FIELD_ENCRYPTION_KEYS = env.list(
    "PORTAL_FIELD_ENCRYPTION_KEYS", default=[DEMO_FIELD_ENCRYPTION_KEY]
)
# Key of the HMAC that indexes identities ("already bound elsewhere?").
DEMO_IDENTITY_HASH_KEY = "local-demo-identity-hash-key-not-for-production"
PORTAL_IDENTITY_HASH_KEY = env.str("PORTAL_IDENTITY_HASH_KEY", default=DEMO_IDENTITY_HASH_KEY)
PORTAL_MINIMUM_AGE = env.int("PORTAL_MINIMUM_AGE", default=18)
PORTAL_UPLOAD_MAX_BYTES = env.int("PORTAL_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
PORTAL_IMAGE_MAX_PIXELS = env.int("PORTAL_IMAGE_MAX_PIXELS", default=40_000_000)
PORTAL_IMAGE_RETENTION_DAYS = env.int("PORTAL_IMAGE_RETENTION_DAYS", default=30)
PORTAL_LIVENESS_BACKEND = env.str(
    "PORTAL_LIVENESS_BACKEND", default="verification.liveness.StubLivenessBackend"
)
# Submissions per account per rolling day (resubmission after a rejection).
PORTAL_VERIFICATION_SUBMISSIONS_PER_DAY = env.int(
    "PORTAL_VERIFICATION_SUBMISSIONS_PER_DAY", default=5)
PORTAL_VERIFICATION_SLA_HOURS = env.int("PORTAL_VERIFICATION_SLA_HOURS", default=24)
PORTAL_VERIFICATION_URGENT_SLA_HOURS = env.int("PORTAL_VERIFICATION_URGENT_SLA_HOURS", default=4)
PORTAL_VERIFICATION_CLAIM_TIMEOUT = timedelta(
    minutes=env.int("PORTAL_VERIFICATION_CLAIM_TIMEOUT_MINUTES", default=30))
# A retry after a rejection keeps a passed liveness check this long (then it is asked again).
PORTAL_VERIFICATION_LIVENESS_KEPT_FOR = timedelta(
    hours=env.int("PORTAL_VERIFICATION_LIVENESS_KEPT_HOURS", default=24))
# A request in submitted/checking longer than this has lost its task: the sweeper resends it.
PORTAL_VERIFICATION_STUCK_AFTER = timedelta(
    minutes=env.int("PORTAL_VERIFICATION_STUCK_AFTER_MINUTES", default=5))
CELERY_BEAT_SCHEDULE["verification-requeue-stuck"] = {
    "task": "verification.tasks.verification_requeue_stuck", "schedule": timedelta(minutes=1)}
CELERY_BEAT_SCHEDULE["verification-escalate-overdue"] = {
    "task": "verification.tasks.verifications_escalate_overdue",
    "schedule": timedelta(minutes=5)}
CELERY_BEAT_SCHEDULE["verification-images-purge"] = {
    "task": "verification.tasks.verification_images_purge", "schedule": timedelta(hours=1)}
# --- Document checks (verification/document/) ---
# Two photos are "the same picture" when their 64-bit perceptual hashes differ
# in at most this many bits (a 1 % crop or a 1° turn changes 2-6 bits; see
# docs/verification.md for how close unrelated photos of one card template come).
PORTAL_PHOTO_REUSE_MAX_DISTANCE = env.int("PORTAL_PHOTO_REUSE_MAX_DISTANCE", default=6)
# Reads of one ID photo started before it is marked unreadable (a worker
# killed mid-read starts it again); the case then goes to a person.
PORTAL_DOCUMENT_READ_MAX_ATTEMPTS = env.int("PORTAL_DOCUMENT_READ_MAX_ATTEMPTS", default=2)
# Native threads one check may use (OpenCV, onnxruntime). One: a worker
# process is the unit of parallelism, so N processes on N cores drain the
# checks queue N times as fast instead of fighting over the same cores.
PORTAL_CHECKS_THREADS = env.int("PORTAL_CHECKS_THREADS", default=1)
# Read the front photo right after its upload, to prefill the details step.
PORTAL_DOCUMENT_PREFILL = env.bool("PORTAL_DOCUMENT_PREFILL", default=True)
# Liveness frames that must show a face (at least this share of them).
PORTAL_LIVENESS_MIN_FACE_SHARE = env.float("PORTAL_LIVENESS_MIN_FACE_SHARE", default=0.5)

# ---------------------------------------------------------------------------
# Appeals (appeals/)
# ---------------------------------------------------------------------------
PORTAL_APPEAL_COOLDOWN = timedelta(days=env.int("PORTAL_APPEAL_COOLDOWN_DAYS", default=7))
# The measured waits the status page shows (medians over a week of decisions)
# are recomputed at most this often; 0 computes them on every page.
PORTAL_WAIT_CACHE_SECONDS = env.int("PORTAL_WAIT_CACHE_SECONDS", default=300)
PORTAL_APPEAL_STATEMENT_MAX = 5000
PORTAL_APPEAL_EVIDENCE_MAX_BYTES = env.int(
    "PORTAL_APPEAL_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024
)
PORTAL_APPEAL_EVIDENCE_MAX_FILES = env.int("PORTAL_APPEAL_EVIDENCE_MAX_FILES", default=5)
# A staff claim is a lock that lapses so an abandoned case returns to the queue.
PORTAL_APPEAL_CLAIM_TIMEOUT = timedelta(
    minutes=env.int("PORTAL_APPEAL_CLAIM_TIMEOUT_MINUTES", default=30))
PORTAL_APPEAL_REMIND_AFTER = timedelta(days=env.int("PORTAL_APPEAL_REMIND_AFTER_DAYS", default=3))
PORTAL_APPEAL_CLOSE_AFTER = timedelta(days=env.int("PORTAL_APPEAL_CLOSE_AFTER_DAYS", default=14))
PORTAL_APPEAL_OFFICER_GROUP = "appeals officer"
PORTAL_APPEAL_SUPERVISOR_GROUP = "supervisor"
CELERY_BEAT_SCHEDULE["appeals-escalate-overdue"] = {
    "task": "appeals.tasks.appeals_escalate_overdue", "schedule": timedelta(minutes=5)}
CELERY_BEAT_SCHEDULE["appeals-remind-silent"] = {
    "task": "appeals.tasks.appeals_remind_silent", "schedule": timedelta(hours=1)}
CELERY_BEAT_SCHEDULE["appeals-close-abandoned"] = {
    "task": "appeals.tasks.appeals_close_abandoned", "schedule": timedelta(hours=1)}
CELERY_BEAT_SCHEDULE["appeals-triage-pending"] = {
    "task": "appeals.tasks.appeals_triage_pending", "schedule": timedelta(minutes=5)}

# ---------------------------------------------------------------------------
# Owner journeys: support conversations, security after a freeze, language,
# deadline reminders (docs/owner-journeys.md)
# ---------------------------------------------------------------------------
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Database sessions that know their account (accounts/sessions.py): the
# owner's session list and "sign out everywhere else".
SESSION_ENGINE = "accounts.sessions"
# After authentication: the account's language on every device, and the
# two-step check of a session signed in with a password only.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "accounts.middleware.AccountLanguageMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("accounts.middleware.AccountLanguageMiddleware") + 1,
    "accounts.middleware.TwoStepMiddleware",
)
OTP_TOTP_ISSUER = env.str("PORTAL_TOTP_ISSUER", default="Account centre")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
PORTAL_RECOVERY_CODES = 10
# Sign-ins listed on the security page; the checklist card stays this long
# after a security hold is lifted, unless the owner finishes it.
PORTAL_SIGN_INS_SHOWN = 20
PORTAL_SECURITY_CHECKLIST_DAYS = env.int("PORTAL_SECURITY_CHECKLIST_DAYS", default=30)
# Answer times of support conversations and of remedies reviews (the same
# queue and escalation as appeals).
PORTAL_SUPPORT_SLA = timedelta(hours=env.int("PORTAL_SUPPORT_SLA_HOURS", default=48))
PORTAL_REMEDIES_SLA = timedelta(hours=env.int("PORTAL_REMEDIES_SLA_HOURS", default=24))
# The status page is kept at most this long after rendering, while nothing it
# shows changes (accounts/page_cache.py): relative times and expected waits are
# at most this old on a reload. 0: rendered on every request.
PORTAL_STATUS_PAGE_CACHE_SECONDS = env.int("PORTAL_STATUS_PAGE_CACHE_SECONDS", default=15)
# How often an open case page asks for new messages.
PORTAL_THREAD_POLL_SECONDS = env.int("PORTAL_THREAD_POLL_SECONDS", default=4)
CELERY_BEAT_SCHEDULE["holds-remind-deadlines"] = {
    "task": "accounts.tasks.holds_remind_deadlines", "schedule": timedelta(minutes=15)}

# ---------------------------------------------------------------------------
# Integration API (accounts/api/)
# ---------------------------------------------------------------------------
PORTAL_WEBHOOK_TIMEOUT_SECONDS = env.float("PORTAL_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Attempts per event and endpoint (the first included); the n-th retry waits
# PORTAL_WEBHOOK_BACKOFF_SECONDS * 2**(n-1).
PORTAL_WEBHOOK_MAX_ATTEMPTS = env.int("PORTAL_WEBHOOK_MAX_ATTEMPTS", default=8)
PORTAL_WEBHOOK_BACKOFF_SECONDS = env.float("PORTAL_WEBHOOK_BACKOFF_SECONDS", default=30.0)
# After a secret rotation the previous secret keeps signing this long.
PORTAL_WEBHOOK_SECRET_ROTATION_HOURS = env.int("PORTAL_WEBHOOK_SECRET_ROTATION_HOURS", default=24)
# How long the Redis status cache keeps an entry (bounds staleness if Redis
# was unreachable at the moment of a write).
PORTAL_STATUS_CACHE_TTL_SECONDS = env.int("PORTAL_STATUS_CACHE_TTL_SECONDS", default=600)
# Largest request body the API reads (413 above it); a hold with every text
# field full and escaped stays well under it.
PORTAL_API_MAX_BODY_BYTES = env.int("PORTAL_API_MAX_BODY_BYTES", default=256 * 1024)
# Requests per API key and window ("<n>/second|minute|hour|day"; empty: no
# limit), counted in Redis by accounts/api/throttling.py; over it, a JSON 429
# with Retry-After.
PORTAL_API_RATE_PER_CLIENT = env.str("PORTAL_API_RATE_PER_CLIENT", default="60000/minute")
# Re-enqueue deliveries whose task was lost (broker outage, worker crash).
CELERY_BEAT_SCHEDULE["webhook-deliveries-sweep"] = {
    "task": "accounts.api.tasks.webhook_deliveries_sweep",
    "schedule": timedelta(minutes=1),
}

# ---------------------------------------------------------------------------
# Platform integration (hand-off, OIDC)
# ---------------------------------------------------------------------------
# Hand-off sign-in: a link works once, for this many seconds; each API client
# may ask for this many links (DRF rate: "<n>/<second|minute|hour|day>").
PORTAL_SIGN_IN_LINK_TTL_SECONDS = env.int("PORTAL_SIGN_IN_LINK_TTL_SECONDS", default=300)
PORTAL_SIGN_IN_LINK_RATE = env.str("PORTAL_SIGN_IN_LINK_RATE", default="120/min")
# Session backends of the two platform sign-ins (they never check a password).
AUTHENTICATION_BACKENDS += [
    "accounts.sign_in.SignInLinkBackend",
    "accounts.sign_in.PlatformOIDCBackend",
]
# OIDC with the platform as identity provider (mozilla-django-oidc), off by
# default. Authorization code flow with PKCE (S256), state and nonce; the ID
# token's signature (JWKS), issuer and audience are checked.
PORTAL_OIDC_ENABLED = env.bool("PORTAL_OIDC_ENABLED", default=False)
PORTAL_OIDC_PROVIDER_NAME = env.str("PORTAL_OIDC_PROVIDER_NAME", default="")
PORTAL_OIDC_ISSUER = env.str("PORTAL_OIDC_ISSUER", default="")
# The claim (ID token and userinfo) that holds the platform's account id.
PORTAL_OIDC_ACCOUNT_ID_CLAIM = env.str("PORTAL_OIDC_ACCOUNT_ID_CLAIM", default="sub")
# Create an account on its first OIDC sign-in; off: only known accounts get in.
PORTAL_OIDC_CREATE_ACCOUNTS = env.bool("PORTAL_OIDC_CREATE_ACCOUNTS", default=False)
OIDC_RP_CLIENT_ID = env.str("PORTAL_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("PORTAL_OIDC_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("PORTAL_OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("PORTAL_OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("PORTAL_OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("PORTAL_OIDC_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("PORTAL_OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("PORTAL_OIDC_SCOPES", default="openid profile email")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env.float("PORTAL_OIDC_TIMEOUT_SECONDS", default=10.0)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
# The embedded run's reference platform (examples/platform/): demo_load gives
# it this API key and a webhook endpoint with this secret, in DEBUG only.
# Public values, like the demo passwords: never for production.
PORTAL_DEMO_PLATFORM_API_KEY = env.str(
    "PORTAL_DEMO_PLATFORM_API_KEY", default="psk_demoplatform_embedded-demo-only-not-for-production"
)
# Where make run starts it (a port on 127.0.0.1).
PORTAL_DEMO_PLATFORM_PORT = env.int("PORTAL_PLATFORM_PORT", default=8100)
PORTAL_DEMO_PLATFORM_WEBHOOK_URL = env.str(
    "PORTAL_DEMO_PLATFORM_WEBHOOK_URL",
    default=f"http://127.0.0.1:{PORTAL_DEMO_PLATFORM_PORT}/webhooks/portal",
)
PORTAL_DEMO_PLATFORM_WEBHOOK_SECRET = env.str(
    "PORTAL_DEMO_PLATFORM_WEBHOOK_SECRET",
    default="whsec_cmVmZXJlbmNlLXBsYXRmb3JtLWRlbW8tc2VjcmV0ISE=",
)
