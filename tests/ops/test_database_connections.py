"""Every settings module keeps database connections open between requests, checked
before reuse: a new PostgreSQL connection per request was most of a page's cost."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = ("from django.conf import settings; d = settings.DATABASES['default']; "
         "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])")


@pytest.mark.parametrize("module", ["portal.settings.base", "portal.settings.test",
                                    "portal.settings.production", "bench.api_settings"])
def test_connections_persist_and_are_checked_in_every_settings_module(module):
    env = {
        "PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60), "DJANGO_ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CACHE_URL": "redis://127.0.0.1:6379/1",
        "PORTAL_FIELD_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "PORTAL_IDENTITY_HASH_KEY": secrets.token_urlsafe(32),
    }
    if module.endswith("production"):  # it refuses local private files
        env.update(PORTAL_PRIVATE_STORAGE_BACKEND="s3", PORTAL_S3_BUCKET="portal-private")
    printed = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {PRINT}"],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    max_age, health_checks = printed.stdout.split()
    assert int(max_age) > 0 and health_checks == "True"
