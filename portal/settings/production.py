"""Production settings: PostgreSQL, Redis broker and cache, HTTPS only.

Holds nothing an environment variable could not set. Required:
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL,
CACHE_URL, PORTAL_FIELD_ENCRYPTION_KEYS, PORTAL_IDENTITY_HASH_KEY.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEMO_FIELD_ENCRYPTION_KEY, DEMO_IDENTITY_HASH_KEY, DEMO_SECRET_KEY, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if SECRET_KEY == DEMO_SECRET_KEY or SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value in production.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CACHES = {"default": env.cache_url("CACHE_URL")}

# ---------------------------------------------------------------------------
# HTTPS and cookies
# ---------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
WHITENOISE_USE_FINDERS = False  # serve the collected, hashed files only
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------
# Private files (base.py: PORTAL_PRIVATE_STORAGE_BACKEND=s3 and PORTAL_S3_*):
# on local disk a second web or worker host would not see what the first one
# stored, so production refuses it unless the operator says it runs on one
# machine (or a shared file system) with PORTAL_ALLOW_LOCAL_PRIVATE_STORAGE.
if STORAGES["private"]["BACKEND"].endswith(".FileSystemStorage") and not env.bool(  # noqa: F405
    "PORTAL_ALLOW_LOCAL_PRIVATE_STORAGE", default=False
):
    raise ImproperlyConfigured(
        "Private files are on local disk. Set PORTAL_PRIVATE_STORAGE_BACKEND=s3 and "
        "PORTAL_S3_BUCKET (see the README), or PORTAL_ALLOW_LOCAL_PRIVATE_STORAGE=true "
        "on a single machine."
    )
# Load-balancer probes and Prometheus talk to gunicorn directly, over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
# JSON log lines unless told otherwise (base.py chose by its own DEBUG).
LOGGING["handlers"]["console"]["formatter"] = env.str("LOG_FORMAT", default="json")  # noqa: F405
# Nobody reaches /metrics by address alone unless PORTAL_METRICS_ALLOWED_IPS says so.
PORTAL_METRICS_ALLOWED_IPS = env.list("PORTAL_METRICS_ALLOWED_IPS", default=[])

# ---------------------------------------------------------------------------
# Identity data: production must bring its own keys (no demo defaults).
# ---------------------------------------------------------------------------
PORTAL_FIELD_ENCRYPTION_KEYS = env.list("PORTAL_FIELD_ENCRYPTION_KEYS")
PORTAL_IDENTITY_HASH_KEY = env.str("PORTAL_IDENTITY_HASH_KEY")
if not PORTAL_FIELD_ENCRYPTION_KEYS or not PORTAL_IDENTITY_HASH_KEY:
    raise ImproperlyConfigured(
        "PORTAL_FIELD_ENCRYPTION_KEYS and PORTAL_IDENTITY_HASH_KEY must be set in production."
    )
# The demo keys are in the public repository: data under them is not protected.
if DEMO_FIELD_ENCRYPTION_KEY in PORTAL_FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "PORTAL_FIELD_ENCRYPTION_KEYS contains the public demo key; use keys of your own "
        "(Fernet.generate_key()) and never the demo one, not even as an old key."
    )
if PORTAL_IDENTITY_HASH_KEY == DEMO_IDENTITY_HASH_KEY:
    raise ImproperlyConfigured(
        "PORTAL_IDENTITY_HASH_KEY is the public demo key; set a long random value of your own."
    )

# Preloading HSTS is a commitment an operator opts into with
# DJANGO_SECURE_HSTS_PRELOAD=true; until then the reminder is silenced.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
