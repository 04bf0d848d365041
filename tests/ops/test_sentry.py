"""Sentry reports errors only when SENTRY_DSN is set, with the Django and Celery
integrations, and without request bodies (identity data must not leave)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print("active", client.is_active())
print("integrations", sorted(client.integrations))
print("body", client.options.get("max_request_body_size"))
try:
    raise RuntimeError("ops test error")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=5)
"""


def run(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_without_a_dsn_nothing_is_sent():
    assert "active False" in run(SENTRY_DSN="")


def test_with_a_dsn_an_error_reaches_the_server():
    received: list[bytes] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = run(SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_port}/1")
    finally:
        server.shutdown()

    assert "active True" in out
    assert "'celery'" in out and "'django'" in out
    assert "body never" in out
    assert any(b"ops test error" in body for body in received)
