"""OIDC sign-in against a real provider started by the tests.

tests/oidc_provider/ is a small Django project running django-oauth-toolkit's
OpenID Connect provider, with an RSA key generated here, served in its own
process on a free port of 127.0.0.1. A ``requests`` session plays the
owner's browser: it follows the redirects between the portal (live server)
and the provider, signs in at the provider and posts its consent form. The
portal's backend talks to the provider's token, JWKS and userinfo endpoints
over HTTP, as it would in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import Account, StatusEvent

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "account-centre", "a-client-secret-for-the-tests-only"
PASSWORD = "platform-pass"  # tests/oidc_provider/serve.py
SIGNED_IN = StatusEvent.Kind.SIGNED_IN_WITH_PLATFORM

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Provider:
    base: str

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rsa_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory) -> Iterator[Provider]:
    """Start the provider in its own process; stop it after the session."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", "--port", str(port),
         "--redirect-uri", f"{live_server.url}/sign-in/platform/callback/",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
         "--db", str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3")],
        cwd=ROOT, env={**os.environ, "OIDC_RSA_PRIVATE_KEY": _rsa_key_pem(),
                       "PYTHONPATH": str(ROOT)},
    )
    provider = Provider(base=f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(f"{provider.issuer}/.well-known/openid-configuration", process)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the OIDC provider exited at start")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the OIDC provider did not answer")


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    issuer = oidc_provider.issuer
    settings.PORTAL_OIDC_ENABLED = True
    settings.PORTAL_OIDC_ISSUER = issuer
    settings.PORTAL_OIDC_ACCOUNT_ID_CLAIM = "platform_account_id"
    settings.PORTAL_OIDC_CREATE_ACCOUNTS = False
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{issuer}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{issuer}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{issuer}/.well-known/jwks.json"
    return settings


# ---------------------------------------------------------------------------
# The browser's side
# ---------------------------------------------------------------------------
class _Forms(HTMLParser):
    """Collect each form's action and inputs (name → value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "attrs": attrs, "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") != "submit":
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


def _form(response: requests.Response, marker: str | None = None) -> tuple[str, dict]:
    """Return the action and inputs of the first form (with attribute ``marker``)."""
    parser = _Forms()
    parser.feed(response.text)
    forms = [f for f in parser.forms if marker is None or marker in f["attrs"]]
    assert forms, response.text[:500]
    form = forms[0]
    return requests.compat.urljoin(response.url, form["action"]) or response.url, form["inputs"]


def _start(browser: requests.Session, live_server, next_path="/verification/") -> str:
    """Open the portal's OIDC start; return the provider's authorization URL."""
    response = browser.get(f"{live_server.url}/sign-in/platform/?next={next_path}",
                           allow_redirects=False)
    assert response.status_code == 302
    return response.headers["Location"]


def _authorize(browser: requests.Session, authorize_url: str, username: str) -> str:
    """Sign in at the provider and consent; return the redirect back to the portal."""
    login_page = browser.get(authorize_url)  # → the provider's login form
    action, inputs = _form(login_page)
    consent = browser.post(action, data={**inputs, "username": username, "password": PASSWORD},
                           headers={"Referer": login_page.url})
    action, inputs = _form(consent)
    assert "nonce" in inputs and inputs.get("code_challenge_method") == "S256", inputs
    answer = browser.post(action, data={**inputs, "allow": "Authorize"},
                          headers={"Referer": consent.url}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def _with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def _portal_user(browser: requests.Session, live_server) -> bool:
    """Whether the browser is signed in to the portal (the status page answers 200)."""
    return browser.get(f"{live_server.url}/", allow_redirects=False).status_code == 200


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
def test_happy_path_signs_in_the_account_with_that_platform_id(
    oidc_settings, live_server, make_account
):
    account = make_account("oidc-alice", platform_account_id="p-oidc-alice")
    browser = requests.Session()
    authorize_url = _start(browser, live_server)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]

    back = _authorize(browser, authorize_url, "p-oidc-alice")
    landed = browser.get(back)  # the portal's callback, then on to "next"
    assert landed.status_code == 200 and urlsplit(landed.url).path == "/verification/"
    assert _portal_user(browser, live_server)
    event = StatusEvent.objects.get(account=account, kind=SIGNED_IN)
    assert event.data["subject"] == "p-oidc-alice"


def test_someone_else_signed_in_is_signed_out_first(oidc_settings, live_server, make_account):
    from accounts import services

    alice = make_account("oidc-alice", platform_account_id="p-oidc-alice")
    bob = make_account("bob")
    browser = requests.Session()
    token = services.sign_in_link_issue(account=bob, next_path=None, issued_by_id=None).token
    link_url = f"{live_server.url}/sign-in/link/{token}/"
    action, inputs = _form(browser.get(link_url), "data-auto-submit")
    signed_in = browser.post(action, data=inputs, headers={"Referer": link_url})
    assert signed_in.status_code == 200, (signed_in.status_code, signed_in.text[:300])
    assert StatusEvent.objects.filter(account=bob).exists()  # bob is signed in

    landed = browser.get(_authorize(browser, _start(browser, live_server), "p-oidc-alice"))
    assert urlsplit(landed.url).path == "/verification/"
    assert StatusEvent.objects.filter(account=alice, kind=SIGNED_IN).count() == 1
    status_page = browser.get(f"{live_server.url}/").text
    assert "oidc-alice" in status_page and "bob" not in status_page


def test_a_wrong_state_signs_nobody_in(oidc_settings, live_server, make_account, caplog):
    make_account("oidc-alice", platform_account_id="p-oidc-alice")
    browser = requests.Session()
    back = _authorize(browser, _start(browser, live_server), "p-oidc-alice")
    response = browser.get(_with_param(back, state="forged-state"))
    assert response.status_code == 403 and 'data-testid="sign-in-failed"' in response.text
    assert "state not found" in caplog.text
    assert not _portal_user(browser, live_server)
    assert not StatusEvent.objects.filter(kind=SIGNED_IN).exists()
    # The forged answer consumed nothing: the genuine one still signs in, once.
    assert browser.get(back).status_code == 200
    assert StatusEvent.objects.filter(kind=SIGNED_IN).count() == 1


def test_a_wrong_nonce_signs_nobody_in(oidc_settings, live_server, make_account, caplog):
    make_account("oidc-alice", platform_account_id="p-oidc-alice")
    browser = requests.Session()
    # The provider puts into the ID token a nonce other than the one this
    # browser's session expects (as a replayed token would carry).
    authorize_url = _with_param(_start(browser, live_server), nonce="another-nonce")
    response = browser.get(_authorize(browser, authorize_url, "p-oidc-alice"))
    assert response.status_code == 403 and 'data-testid="sign-in-failed"' in response.text
    assert "Nonce verification failed" in caplog.text
    assert not _portal_user(browser, live_server)
    assert not StatusEvent.objects.filter(kind=SIGNED_IN).exists()


def test_a_token_from_another_issuer_signs_nobody_in(
    oidc_settings, live_server, make_account, caplog
):
    make_account("oidc-alice", platform_account_id="p-oidc-alice")
    oidc_settings.PORTAL_OIDC_ISSUER = "https://another-issuer.example/o"
    browser = requests.Session()
    response = browser.get(_authorize(browser, _start(browser, live_server), "p-oidc-alice"))
    assert response.status_code == 403 and not _portal_user(browser, live_server)
    assert "another issuer" in caplog.text


def test_an_unknown_subject_with_provisioning_off_signs_nobody_in(oidc_settings, live_server):
    before = Account.objects.count()
    browser = requests.Session()
    response = browser.get(_authorize(browser, _start(browser, live_server), "p-oidc-stranger"))
    assert response.status_code == 403 and 'data-testid="sign-in-failed"' in response.text
    assert not _portal_user(browser, live_server)
    assert Account.objects.count() == before


def test_an_unknown_subject_with_provisioning_on_gets_a_new_account(oidc_settings, live_server):
    oidc_settings.PORTAL_OIDC_CREATE_ACCOUNTS = True
    browser = requests.Session()
    landed = browser.get(_authorize(browser, _start(browser, live_server, "/"), "p-oidc-stranger"))
    assert landed.status_code == 200 and _portal_user(browser, live_server)
    account = Account.objects.get(platform_account_id="p-oidc-stranger")
    assert not account.has_usable_password()
    assert (account.display_name, account.language) == ("Stranger", "en")
    kinds = set(StatusEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == {StatusEvent.Kind.ACCOUNT_PROVISIONED, SIGNED_IN}


def test_a_staff_account_never_signs_in_through_the_platform(
    oidc_settings, live_server, make_account
):
    make_account("oidc-alice", platform_account_id="p-oidc-alice", is_staff=True)
    browser = requests.Session()
    response = browser.get(_authorize(browser, _start(browser, live_server), "p-oidc-alice"))
    assert response.status_code == 403 and not _portal_user(browser, live_server)


def test_oidc_is_off_by_default(client, settings):
    assert settings.PORTAL_OIDC_ENABLED is False
    assert client.get("/sign-in/platform/").status_code == 404
    assert client.get("/sign-in/platform/callback/?code=x&state=y").status_code == 404
    assert 'data-testid="oidc-sign-in"' not in client.get("/accounts/login/").content.decode()
