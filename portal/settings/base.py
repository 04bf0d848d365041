"""Settings shared by every environment.

Everything an operator may change is read from the environment through the
one ``env`` helper below, with defaults that make the embedded run work on a
fresh machine: SQLite and the kombu filesystem broker under ``var/``.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
# The embedded default key is for the local demo only; production.py refuses it.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-embedded-demo-key-change-me")
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

# Lockout after repeated failures, per username and IP together so one
# attacker cannot lock a victim out from everywhere.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

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
STORAGES = {
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
# Portal rules
# ---------------------------------------------------------------------------
# How long after its deadline a reminder is still "soon" on the status page.
PORTAL_DEADLINE_WARNING = timedelta(days=3)

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Callables run (on the notify queue) for every status change event.
PORTAL_STATUS_LISTENERS: list[str] = []
# Callables run (on the review queue) for every lifted hold.
PORTAL_HOLD_LIFT_LISTENERS: list[str] = ["appeals.services.appeals_close_for_lifted_hold"]

# ---------------------------------------------------------------------------
# Verification (verification/)
# ---------------------------------------------------------------------------
# Fernet keys (comma-separated, newest first) encrypting document numbers at
# rest; adding a new key in front and re-saving rotates. The embedded default
# is for the demo only; production must set its own.
PORTAL_FIELD_ENCRYPTION_KEYS = env.list(
    "PORTAL_FIELD_ENCRYPTION_KEYS", default=["bG9jYWwtZGVtby1rZXktbm90LWZvci1wcm9kdWN0aW8="]
)
# Key of the HMAC that indexes identities ("already bound elsewhere?").
PORTAL_IDENTITY_HASH_KEY = env.str(
    "PORTAL_IDENTITY_HASH_KEY", default="local-demo-identity-hash-key-not-for-production"
)
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
# A request in submitted/checking longer than this has lost its task: the sweeper resends it.
PORTAL_VERIFICATION_STUCK_AFTER = timedelta(
    minutes=env.int("PORTAL_VERIFICATION_STUCK_AFTER_MINUTES", default=5))
CELERY_BEAT_SCHEDULE["verification-requeue-stuck"] = {
    "task": "verification.tasks.verification_requeue_stuck", "schedule": timedelta(minutes=1)}
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
# Read the front photo right after its upload, to prefill the details step.
PORTAL_DOCUMENT_PREFILL = env.bool("PORTAL_DOCUMENT_PREFILL", default=True)
# Liveness frames that must show a face (at least this share of them).
PORTAL_LIVENESS_MIN_FACE_SHARE = env.float("PORTAL_LIVENESS_MIN_FACE_SHARE", default=0.5)

# ---------------------------------------------------------------------------
# Appeals (appeals/)
# ---------------------------------------------------------------------------
PORTAL_APPEAL_COOLDOWN = timedelta(days=env.int("PORTAL_APPEAL_COOLDOWN_DAYS", default=7))
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
# Integration API (accounts/api/)
# ---------------------------------------------------------------------------
PORTAL_WEBHOOK_TIMEOUT_SECONDS = env.float("PORTAL_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Attempts per event and endpoint (the first included); the n-th retry waits
# PORTAL_WEBHOOK_BACKOFF_SECONDS * 2**(n-1).
PORTAL_WEBHOOK_MAX_ATTEMPTS = env.int("PORTAL_WEBHOOK_MAX_ATTEMPTS", default=8)
PORTAL_WEBHOOK_BACKOFF_SECONDS = env.float("PORTAL_WEBHOOK_BACKOFF_SECONDS", default=30.0)
# How long the Redis status cache keeps an entry (bounds staleness if Redis
# was unreachable at the moment of a write).
PORTAL_STATUS_CACHE_TTL_SECONDS = env.int("PORTAL_STATUS_CACHE_TTL_SECONDS", default=600)
PORTAL_STATUS_LISTENERS.append("accounts.api.services.webhook_deliveries_create")
# Re-enqueue deliveries whose task was lost (broker outage, worker crash).
CELERY_BEAT_SCHEDULE["webhook-deliveries-sweep"] = {
    "task": "accounts.api.tasks.webhook_deliveries_sweep",
    "schedule": timedelta(minutes=1),
}
