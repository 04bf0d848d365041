"""Portal processes of the tests' own: web (gunicorn), worker and relay, as separate programs.

They run the test settings against the test database the test process uses
(so ``django_db(transaction=True)`` tests see what they write), with the
environment a test chooses (a broker on a port of its own, a mail folder).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

from tests.support.servers import free_port, wait_for_port

BASE_DIR = Path(settings.BASE_DIR)


def portal_env(**overrides: str) -> dict[str, str]:
    """The environment of a child portal process: the test database and cache, and ``overrides``."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CACHE_URL": settings.CACHE_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


class Process:
    """A child process with its output in a log file (shown when a test fails)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")  # noqa: SIM115  closed with the process
        self.popen = subprocess.Popen(self.argv, cwd=BASE_DIR, env=self.env, stdout=log,
                                      stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.popen = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def web(env: dict[str, str], log_dir: Path, *, workers: int = 2) -> tuple[Process, str]:
    """Start gunicorn serving the portal; return it and its base URL once it answers."""
    port = free_port()
    process = Process("web", [
        sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-b", f"127.0.0.1:{port}",
        "-w", str(workers), "--timeout", "60",
    ], env, log_dir).start()
    wait_for_port(port, timeout=30)
    return process, f"http://127.0.0.1:{port}"


def worker(env: dict[str, str], log_dir: Path, name: str = "worker") -> Process:
    return Process(name, [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "checks,review,notify",
        "-P", "solo", "--without-mingle", "--without-gossip", "-l", "INFO",
    ], env, log_dir).start()


def relay(env: dict[str, str], log_dir: Path) -> Process:
    return Process("relay", [sys.executable, "manage.py", "outbox_relay"], env, log_dir).start()


# ---------------------------------------------------------------------------
# A browser-less user of the web process
# ---------------------------------------------------------------------------
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class WebUser:
    """A requests session that signs in through the real forms and posts them with CSRF."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.responses: list[requests.Response] = []

    def get(self, path: str) -> requests.Response:
        return self._keep(self.http.get(self.base + path, timeout=30))

    def post_form(self, path: str, data: dict, *, form_page: str | None = None,
                  files: dict | None = None) -> requests.Response:
        page = self.get(form_page or path)
        token = CSRF_FIELD.search(page.text)
        assert token, f"no CSRF token on {form_page or path} ({page.status_code})"
        return self._keep(self.http.post(
            self.base + path, data={**data, "csrfmiddlewaretoken": token.group(1)},
            files=files, timeout=30, headers={"Referer": self.base + (form_page or path)},
        ))

    def sign_in(self, username: str, password: str, *, admin: bool = False) -> None:
        path = "/admin/login/" if admin else "/accounts/login/"
        response = self.post_form(path, {"username": username, "password": password})
        assert response.ok and "login" not in response.url, (response.status_code, response.url)

    def _keep(self, response: requests.Response) -> requests.Response:
        self.responses.append(response)
        return response

    def server_errors(self) -> list[str]:
        return [f"{r.status_code} {r.request.method} {r.url}" for r in self.responses
                if r.status_code >= 500]


def wait_until(condition, *, timeout: float = 60.0, every: float = 0.25, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s: {what or condition}")
