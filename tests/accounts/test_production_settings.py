"""The production settings module passes ``check --deploy`` and refuses demo keys."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "PORTAL_FIELD_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "PORTAL_IDENTITY_HASH_KEY": secrets.token_urlsafe(32),
        "PORTAL_PRIVATE_STORAGE_BACKEND": "s3",
        "PORTAL_S3_BUCKET": "portal-private",
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = run_check()
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_embedded_demo_secret_key():
    result = run_check(DJANGO_SECRET_KEY="insecure-embedded-demo-key-change-me")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_requires_encryption_keys():
    result = run_check(PORTAL_FIELD_ENCRYPTION_KEYS="")
    assert result.returncode != 0
    assert "PORTAL_FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_the_public_demo_encryption_key():
    from portal.settings.base import DEMO_FIELD_ENCRYPTION_KEY

    for keys in (DEMO_FIELD_ENCRYPTION_KEY,
                 f"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=,{DEMO_FIELD_ENCRYPTION_KEY}"):
        result = run_check(PORTAL_FIELD_ENCRYPTION_KEYS=keys)
        assert result.returncode != 0
        assert "PORTAL_FIELD_ENCRYPTION_KEYS contains the public demo key" in result.stderr


def test_production_refuses_the_public_demo_identity_hash_key():
    from portal.settings.base import DEMO_IDENTITY_HASH_KEY

    result = run_check(PORTAL_IDENTITY_HASH_KEY=DEMO_IDENTITY_HASH_KEY)
    assert result.returncode != 0
    assert "PORTAL_IDENTITY_HASH_KEY is the public demo key" in result.stderr
