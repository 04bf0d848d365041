"""Settings for the test suite: real PostgreSQL and Redis on 127.0.0.1.

The suite uses its own database names (pytest-django creates ``test_portal``)
and its own Redis database number, so a developer's running portal is left
alone.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/14")

from .base import *  # noqa: E402,F403
from .base import VAR_DIR, env  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, unless a test's child process (a worker) is told to write files.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
PRIVATE_MEDIA_ROOT = env.path("PORTAL_PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "test-private"))
STORAGES["default"]["OPTIONS"]["location"] = str(PRIVATE_MEDIA_ROOT)  # noqa: F405
STORAGES["private"]["OPTIONS"]["location"] = str(PRIVATE_MEDIA_ROOT)  # noqa: F405
# Tests that need a worker start a real one; nothing runs eagerly by accident.
CELERY_TASK_ALWAYS_EAGER = False
AXES_FAILURE_LIMIT = 3
# Every test sees the waits of its own data (tests of the cache turn it on).
PORTAL_WAIT_CACHE_SECONDS = 0
