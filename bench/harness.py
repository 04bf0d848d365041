"""What the gunicorn + wrk benchmarks share (bench_api.py, bench_status_page.py).

A benchmark gets its own PostgreSQL database (dropped and re-created) and its
own Redis databases, runs the product under one gunicorn with the settings
``bench.api_settings`` (the product's, plus a bare Django JSON view at
``/bench/bare``), and loads it with wrk. Nothing here is used by the product.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


class Bench:
    """One benchmark's database, Redis databases and the processes it starts."""

    def __init__(self, db_name: str, cache_url: str, broker_url: str,
                 pg: str = "postgres://postgres@127.0.0.1:5432") -> None:
        self.db_name, self.cache_url, self.broker_url, self.pg = (
            db_name, cache_url, broker_url, pg)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.api_settings",
            "DATABASE_URL": f"{self.pg}/{self.db_name}",
            "CACHE_URL": self.cache_url,
            "CELERY_BROKER_URL": self.broker_url,
            "PYTHONPATH": str(ROOT),
            **extra,
        }

    def run(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            args, cwd=ROOT, env=self.env(), check=True, text=True,
            stdout=subprocess.PIPE if capture else None,
        )
        return result.stdout or ""

    def prepare_database(self, setup: str) -> str:
        """Drop, create and migrate the database, run ``setup`` in ``manage.py shell``;
        return the last line it prints."""
        for sql in (f"DROP DATABASE IF EXISTS {self.db_name}", f"CREATE DATABASE {self.db_name}"):
            self.run("psql", self.pg + "/postgres", "-q", "-c", sql)
        self.run(PY, "manage.py", "migrate", "-v0")
        printed = self.run(PY, "manage.py", "shell", "-c", setup, capture=True)
        return printed.strip().splitlines()[-1]

    def start_gunicorn(self, port: int, workers: int, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [PY, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env=self.env(**extra),
        )


def require_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: .ci/install-system-packages wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, headers: dict[str, str], timeout: float = 30) -> bytes:
    """Return the body of the first successful answer from ``url``."""
    return first_answer(url, headers, timeout)[0]


def first_answer(url: str, headers: dict[str, str], timeout: float = 30
                 ) -> tuple[bytes, dict[str, str]]:
    """Return the body and the cookies set by the first successful answer from ``url``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=2) as response:
                cookies = SimpleCookie()
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookies.load(header)
                return response.read(), {name: morsel.value for name, morsel in cookies.items()}
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url}")


def wrk(url: str, script: str, seconds: int, connections: int) -> tuple[float, float]:
    """Return (requests per second, p99 in ms) of one wrk round; any error answer stops."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
        check=True, text=True, capture_output=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if re.search(r"Non-2xx or 3xx responses", out):
        raise SystemExit(f"errors while loading {url}:\n{out}")
    return rps, p99
