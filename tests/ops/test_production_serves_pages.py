"""Production settings serve real pages through a real gunicorn.

collectstatic runs under ``portal.settings.production`` into a temporary
folder; gunicorn starts with ``portal/gunicorn.conf.py`` and those settings,
everything required coming from environment variables: the test database on
PostgreSQL, Redis (broker and cache on separate databases), and private files
on the S3 server the suite starts. Requests arrive as from the TLS proxy
production expects (X-Forwarded-Proto: https).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from cryptography.fernet import Fernet
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import Account
from tests.conftest import PASSWORD, S3_CREDENTIALS, free_port, s3_bucket_create, wait_for

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
METRICS_TOKEN = secrets.token_urlsafe(24)
pytestmark = pytest.mark.django_db(transaction=True)


def production_env(static_root: Path, s3_url: str, bucket: str, addr: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        "CACHE_URL": os.environ["CACHE_URL"],
        "PORTAL_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PORTAL_IDENTITY_HASH_KEY": secrets.token_urlsafe(32),
        "PORTAL_PRIVATE_STORAGE_BACKEND": "s3",
        "PORTAL_S3_BUCKET": bucket,
        "PORTAL_S3_ENDPOINT_URL": s3_url,
        "PORTAL_S3_REGION": S3_CREDENTIALS["region_name"],
        "AWS_ACCESS_KEY_ID": S3_CREDENTIALS["access_key"],
        "AWS_SECRET_ACCESS_KEY": S3_CREDENTIALS["secret_key"],
        "DJANGO_STATIC_ROOT": str(static_root),
        "PORTAL_METRICS_TOKEN": METRICS_TOKEN,
        "PORTAL_ADDR": addr,
        "WEB_CONCURRENCY": "2",
    }


class ProxiedBrowser:
    """Requests as they arrive from the TLS proxy, keeping the (Secure) cookies by hand."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "Accept-Language": "en",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **kwargs.pop("headers", {}),
        }
        response = requests.request(method, urljoin(self.base, path), headers=headers,
                                    allow_redirects=False, timeout=20, **kwargs)
        self.cookies.update(response.cookies.get_dict())
        return response

    def sign_in(self, username: str, password: str) -> requests.Response:
        form = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        origin = "https://" + self.base.split("://", 1)[1].rstrip("/")
        return self.request(
            "POST", "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": origin + "/accounts/login/", "Origin": origin},
        )


@pytest.fixture
def production_server(s3_server, tmp_path, transactional_db) -> Iterator[str]:
    """collectstatic, then gunicorn, both under production settings; yields the base URL."""
    bucket = f"prod-{secrets.token_hex(6)}"
    s3_bucket_create(s3_server, bucket)
    addr = f"127.0.0.1:{free_port()}"
    env = production_env(tmp_path / "static", s3_server, bucket, addr)
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "portal.wsgi", "--config", "portal/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{addr}"

    def answers() -> bool:
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        try:
            return requests.get(base + "/health/", timeout=10, allow_redirects=False).ok
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=60, every=0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_production_serves_pages_static_files_and_probes(production_server, make_account,
                                                         place_hold):
    owner = make_account("zhang", language="en")
    place_hold(owner, "content_violation")
    # The suite hashes passwords with MD5 for speed; production only knows its own hashers.
    pbkdf2 = PBKDF2PasswordHasher()
    Account.objects.filter(pk=owner.pk).update(password=pbkdf2.encode(PASSWORD, pbkdf2.salt()))
    browser = ProxiedBrowser(production_server)

    login = browser.request("GET", "/accounts/login/")
    assert login.status_code == 200
    assert "Strict-Transport-Security" in login.headers  # production's HTTPS settings
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', login.text)
    assert stylesheet, "pages must name the hashed static files"

    signed_in = browser.sign_in(owner.username, PASSWORD)
    assert signed_in.status_code == 302, signed_in.text[:500]
    status = browser.request("GET", "/")
    assert status.status_code == 200
    assert 'data-testid="hold-card"' in status.text
    assert "Content that breaks the community rules" in status.text

    admin_login = browser.request("GET", "/admin/login/")
    assert admin_login.status_code == 200
    assert re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css", admin_login.text)

    css = browser.request("GET", stylesheet.group(1))
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "immutable" in css.headers["Cache-Control"]
    bootstrap = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"',
                          login.text)
    assert browser.request("GET", bootstrap.group(1)).status_code == 200


def test_production_health_and_metrics_over_plain_http(production_server):
    # Probes and scrapers reach gunicorn directly: no redirect to HTTPS.
    health = requests.get(production_server + "/health/", timeout=20,
                          headers={"Accept": "application/json"}, allow_redirects=False)
    assert health.status_code == 200, health.text
    assert set(health.json().values()) == {"OK"}  # the S3 bucket included

    anonymous = requests.get(production_server + "/metrics", timeout=20, allow_redirects=False)
    assert anonymous.status_code == 404  # even from loopback: production allows no address
    scraped = requests.get(production_server + "/metrics", timeout=20, allow_redirects=False,
                           headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200
    assert "portal_celery_queue_depth" in scraped.text
    assert "django_http_requests_total_by_method_total" in scraped.text
