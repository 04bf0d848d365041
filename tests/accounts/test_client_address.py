"""The client's address behind PORTAL_TRUSTED_PROXY_COUNT proxies, and the
lockout keyed on it.

The end-to-end tests run the portal on a real HTTP server (``live_server``)
behind one or two real reverse proxies of our own on 127.0.0.1 that append
the peer's address to X-Forwarded-For as nginx's ``$proxy_add_x_forwarded_for``
does. Clients connect from distinct loopback addresses (127.0.0.2, …), so
the portal only ever sees the proxy as its peer.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from accounts.signin import client_address
from tests.conftest import PASSWORD

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection"}


# ---------------------------------------------------------------------------
# Which header entry is the client
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("proxies", "forwarded_for", "expected"), [
    (0, None, "198.51.100.9"),
    (0, "203.0.113.5", "198.51.100.9"),  # no proxy: the header is the client's own words
    (1, "203.0.113.5", "203.0.113.5"),
    (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # a forged entry in front is ignored
    (1, "junk, not-an-ip, 203.0.113.5", "203.0.113.5"),
    (1, "10.0.0.7", "10.0.0.7"),  # a private client address is still the client
    (1, "2001:db8::1", "2001:db8::1"),
    (2, "203.0.113.5, 10.0.0.2", "203.0.113.5"),
    (2, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
    (1, None, "198.51.100.9"),  # not through the proxy: the peer is the client
])
def test_client_address_counts_proxies_from_the_right(settings, proxies, forwarded_for,
                                                     expected):
    settings.PORTAL_TRUSTED_PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.9", **extra)
    assert client_address(request) == expected


# ---------------------------------------------------------------------------
# Through real proxies and a real HTTP server
# ---------------------------------------------------------------------------
def _proxy_to(upstream: str) -> ThreadingHTTPServer:
    """Start a reverse proxy on 127.0.0.1 in front of ``upstream`` (host:port)."""
    host, port = upstream.split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP and k.lower() != "x-forwarded-for"}
            seen = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{seen}, {peer}" if seen else peer
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            connection.close()

        do_GET = do_POST = _forward  # noqa: N815 (http.server's naming)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def proxied(live_server) -> Iterator[list[str]]:
    """Two proxies in a chain: [outer, inner] as host:port, inner in front of the portal."""
    inner = _proxy_to(urlsplit(live_server.url).netloc)
    outer = _proxy_to(f"127.0.0.1:{inner.server_address[1]}")
    yield [f"127.0.0.1:{outer.server_address[1]}", f"127.0.0.1:{inner.server_address[1]}"]
    for server in (outer, inner):
        server.shutdown()
        server.server_close()


class Browser:
    """An HTTP client on one loopback address that keeps its cookies."""

    def __init__(self, via: str, source: str):
        self.host, port = via.split(":")
        self.port, self.source, self.cookies = int(port), source, {}

    def request(self, method: str, path: str, body: str = "", headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30,
                                                source_address=(self.source, 0))
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body.encode(), headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "en", **(headers or {})})
        response = connection.getresponse()
        page = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _eq, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, page

    def sign_in(self, username: str, password: str, forged: str | None = None) -> int:
        _status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = f"csrfmiddlewaretoken={token}&username={username}&password={password}"
        extra = {"X-Forwarded-For": forged} if forged else {}
        return self.request("POST", "/accounts/login/", body, extra)[0]


def _attack(proxy: str, username: str, failures: int, forged: str | None = None) -> list[int]:
    attacker = Browser(proxy, "127.0.0.2")
    return [attacker.sign_in(username, "wrong", forged=forged) for _ in range(failures)]


@pytest.mark.django_db(transaction=True)
def test_an_attacker_behind_the_proxy_locks_out_only_themselves(
    proxied, settings, make_account
):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    victim = make_account("victim")
    inner = proxied[1]
    statuses = _attack(inner, victim.username, settings.AXES_FAILURE_LIMIT,
                       forged="127.0.0.3")  # claims to be the victim's address
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    # The victim, on another address behind the same proxy, signs in.
    assert Browser(inner, "127.0.0.3").sign_in(victim.username, PASSWORD) == 302
    # The attacker stays locked out, whatever header they send.
    assert Browser(inner, "127.0.0.2").sign_in(victim.username, PASSWORD,
                                               forged="127.0.0.9") == 429


@pytest.mark.django_db(transaction=True)
def test_behind_two_proxies_the_client_is_two_from_the_right(proxied, settings, make_account):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 2
    victim = make_account("victim")
    outer = proxied[0]
    statuses = _attack(outer, victim.username, settings.AXES_FAILURE_LIMIT, forged="127.0.0.3")
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.2"}
    assert Browser(outer, "127.0.0.3").sign_in(victim.username, PASSWORD) == 302


@pytest.mark.django_db(transaction=True)
def test_without_the_proxy_count_everyone_shares_the_proxys_address(
    proxied, settings, make_account
):
    # What PORTAL_TRUSTED_PROXY_COUNT prevents: keyed on the proxy, one
    # attacker locks the victim out everywhere.
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    victim = make_account("victim")
    inner = proxied[1]
    _attack(inner, victim.username, settings.AXES_FAILURE_LIMIT)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert Browser(inner, "127.0.0.3").sign_in(victim.username, PASSWORD) == 429
