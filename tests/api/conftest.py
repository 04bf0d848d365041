"""Fixtures of the API tests: service clients with keys, a JSON client, a
real HTTP webhook receiver on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.api import services as api_services
from accounts.api import signing
from accounts.api.models import ServiceClient, WebhookEndpoint

READ = ServiceClient.Scope.STATUS_READ
WRITE = ServiceClient.Scope.HOLDS_WRITE




@dataclass
class KeyedClient:
    """A service client, its full key, and an HTTP client that sends it."""

    client: ServiceClient
    key: str
    http: APIClient


@pytest.fixture
def make_client(db) -> Callable[..., KeyedClient]:
    def make(*scopes: str, name: str = "risk engine", header: str = "bearer") -> KeyedClient:
        client, key = api_services.service_client_create(
            name=name, scopes=list(scopes or (READ, WRITE)), acting_user=None
        )
        http = APIClient()
        if header == "bearer":
            http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        else:
            http.credentials(HTTP_X_API_KEY=key)
        return KeyedClient(client, key, http)

    return make


@pytest.fixture
def api(make_client) -> APIClient:
    """An HTTP client with a key holding both scopes."""
    return make_client(READ, WRITE).http


@dataclass
class Receiver:
    """A webhook receiver: records what it got and answers with ``next_statuses``."""

    url: str
    secret: str
    received: list[dict] = field(default_factory=list)
    next_statuses: list[int] = field(default_factory=list)
    next_delays: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The secret of the v1 header, when it differs from ``secret``.
    legacy_secret: str = ""

    def verified(self) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["valid"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Serve a real HTTP receiver on a random port of 127.0.0.1 that checks signatures
    with the ``standardwebhooks`` library (``secret`` may be changed by a test, as a
    receiver's configuration is during a rotation)."""
    secret = signing.secret_generate()
    state = Receiver(url="", secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            with state.lock:
                delay = state.next_delays.pop(0) if state.next_delays else 0
            if delay:
                time.sleep(delay)  # a receiver slower than the sender's timeout
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = dict(self.headers.items())
            try:  # Standard Webhooks, with the library a receiver would use
                payload = Webhook(state.secret).verify(body, headers)
                valid = True
            except WebhookVerificationError:
                payload, valid = body, False
            legacy = self.headers.get(signing.SIGNATURE_HEADER)
            with state.lock:
                code = state.next_statuses.pop(0) if state.next_statuses else 200
                state.received.append({
                    "valid": valid,
                    "legacy_valid": legacy is not None
                    and signing.signature_verify(state.legacy_secret or state.secret, body, legacy),
                    "status": code,
                    "event_id": self.headers.get("webhook-id"),
                    "attempt": self.headers.get("X-Portal-Delivery-Attempt"),
                    "headers": headers,
                    "body": payload,
                })
            self.send_response(code if valid else 400)
            self.end_headers()
            self.wfile.write(b"ok" if code < 300 else b"receiver failed")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portal"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, transactional_db) -> WebhookEndpoint:
    """An endpoint for status changes only (the other event types have tests of their own)."""
    return WebhookEndpoint.objects.create(
        name="platform", url=receiver.url, secret=receiver.secret,
        event_types=["account.status_changed"],
    )
