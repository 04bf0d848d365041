"""The reference platform (examples/platform/server.py) as a separate process:
its webhook receiver accepts only Standard Webhooks signatures made with its
secret (checked by the ``standardwebhooks`` library), keeps each webhook-id
once, and shows the feed on the user's page; and demo_load gives it the
embedded run's known API key."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"a-test-secret-of-the-platform!!!").decode()


@pytest.fixture
def platform_url(tmp_path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/platform/server.py"), "--port", str(port),
         "--portal", "http://127.0.0.1:9", "--api-key", "psk_000000000000_unused",
         "--webhook-secret", SECRET, "--data", str(tmp_path / "inbox.sqlite3")],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _signed(secret: str, webhook_id: str, payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload)
    now = datetime.now(UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        "content-type": "application/json",
    }
    return body.encode(), headers


def _event(kind: str) -> dict:
    return {"type": kind, "timestamp": datetime.now(UTC).isoformat(),
            "data": {"platform_account_id": "p-demo-realname", "hold_id": 7}}


def test_signed_webhooks_are_kept_once_and_forgeries_refused(platform_url):
    hook = f"{platform_url}/webhooks/portal"
    body, headers = _signed(SECRET, "msg_1", _event("hold.lifted"))
    assert requests.post(hook, data=body, headers=headers).status_code == 204
    assert requests.post(hook, data=body, headers=headers).status_code == 204  # a retry

    other = "whsec_" + base64.b64encode(b"somebody-else-s-secret-32-bytes!").decode()
    forged, forged_headers = _signed(other, "msg_2", _event("verification.approved"))
    assert requests.post(hook, data=forged, headers=forged_headers).status_code == 400
    tampered = body.replace(b"hold.lifted", b"hold.placed")
    assert requests.post(hook, data=tampered, headers=headers).status_code == 400
    unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
    assert requests.post(hook, data=body, headers=unsigned).status_code == 400
    garbled = {**headers, "webhook-signature": "v1"}
    assert requests.post(hook, data=body, headers=garbled).status_code == 400

    page = requests.get(f"{platform_url}/u/p-demo-realname").text
    assert page.count('data-testid="webhook"') == 1 and 'data-type="hold.lifted"' in page
    assert "verification.approved" not in page and "hold.placed" not in page


def test_the_page_works_in_both_languages_while_the_portal_is_down(platform_url):
    chinese = requests.get(f"{platform_url}/u/p-demo-realname").text
    assert "暂时连不上账号中心" in chinese and 'lang="zh-Hans"' in chinese
    english = requests.get(f"{platform_url}/u/p-demo-realname?lang=en")
    assert "cannot be reached" in english.text and 'lang="en"' in english.text
    assert "platform_lang=en" in english.headers["Set-Cookie"]
    assert 'name="viewport"' in english.text


@pytest.mark.django_db
def test_demo_load_gives_the_platform_its_known_key_in_debug_only(settings):
    from accounts.api.auth import client_for_key
    from accounts.api.models import ServiceClient, WebhookEndpoint
    from accounts.demo import DEMO_PLATFORM_CLIENT, demo_load

    settings.DEBUG = False
    demo_load()
    assert not ServiceClient.objects.filter(name=DEMO_PLATFORM_CLIENT).exists()

    settings.DEBUG = True
    assert DEMO_PLATFORM_CLIENT in demo_load()
    client = client_for_key(settings.PORTAL_DEMO_PLATFORM_API_KEY)
    assert set(client.scopes) == {"status:read", "holds:write", "accounts:write",
                                  "sessions:create"}
    endpoint = WebhookEndpoint.objects.get(name=DEMO_PLATFORM_CLIENT)
    assert endpoint.secret == settings.PORTAL_DEMO_PLATFORM_WEBHOOK_SECRET
    assert DEMO_PLATFORM_CLIENT not in demo_load()  # idempotent
    # The platform's defaults are these same demo values.
    server = (ROOT / "examples/platform/server.py").read_text()
    assert settings.PORTAL_DEMO_PLATFORM_API_KEY in server
    assert settings.PORTAL_DEMO_PLATFORM_WEBHOOK_SECRET in server
    assert os.path.basename(settings.PORTAL_DEMO_PLATFORM_WEBHOOK_URL) == "portal"
