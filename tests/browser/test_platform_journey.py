"""The whole loop on a phone: the reference platform's app page → "去处理" →
the portal, signed in, on the verification page → (with the outbox webhooks)
the wizard → a reviewer approves → the platform's page shows the verified
webhooks and its "may" answer now allows.

The reference platform (examples/platform/server.py) runs in its own process
with a real API key, talking to the live server only through the API.
Screenshots go to a temporary folder.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from accounts.api import services as api_services
from accounts.api.models import WebhookEndpoint
from accounts.models import StatusEvent
from tests.browser.staff import staff_sign_in_with_code
from tests.browser.test_verification_journey import NAME, NUMBER
from tests.browser.wizard import complete_and_submit

ROOT = Path(__file__).resolve().parents[2]
SCOPES = ["status:read", "holds:write", "accounts:write", "sessions:create"]


@dataclass(frozen=True)
class ReferencePlatform:
    url: str
    secret: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def reference_platform(live_server, settings, tmp_path) -> Iterator[ReferencePlatform]:
    """Start examples/platform/server.py against the live server, with its own key."""
    settings.SITE_URL = live_server.url  # the links the API hands out point here
    _client, key = api_services.service_client_create(
        name="reference platform", scopes=SCOPES, acting_user=None)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    WebhookEndpoint.objects.create(name="reference platform", url=f"{url}/webhooks/portal",
                                   secret=secret)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/platform/server.py"), "--port", str(port),
         "--portal", live_server.url, "--api-key", key, "--webhook-secret", secret,
         "--data", str(tmp_path / "webhooks.sqlite3")],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield ReferencePlatform(url=url, secret=secret)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def shots(screenshot_dir) -> Path:
    return screenshot_dir


def _from_the_app_to_verification(page, reference_platform, live_server, owner, shots) -> None:
    page.goto(f"{reference_platform.url}/u/{owner.platform_account_id}")
    banner = page.locator("[data-testid=banner]")
    assert "账号异常，请实名激活" in banner.inner_text()
    assert page.locator("[data-testid=may-publish]").get_attribute("data-allowed") == "false"
    page.screenshot(path=str(shots / "platform-1-app.png"), full_page=True)
    page.click("[data-testid=handle]")
    # The platform's backend asked for a link; the "Continue" page submits itself.
    page.wait_for_url(f"{live_server.url}/verification/")
    page.wait_for_selector("[data-testid=begin]")
    page.screenshot(path=str(shots / "platform-2-portal-verification.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_from_the_platforms_banner_to_the_portal_signed_in(
    live_server, phone_page, reference_platform, make_account, place_hold, shots
):
    owner = make_account("wang", platform_account_id="p-wang")
    place_hold(owner, "realname_missing")
    _from_the_app_to_verification(phone_page, reference_platform, live_server, owner, shots)
    assert StatusEvent.objects.filter(
        account=owner, kind=StatusEvent.Kind.SIGNED_IN_FROM_APP).count() == 1
    # Signed in for real: the status page shows this owner's hold.
    phone_page.goto(f"{live_server.url}/")
    assert phone_page.locator("[data-testid=hold-card]").count() == 1


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_whole_loop_ends_with_webhooks_and_may_allowing(
    celery_worker, live_server, phone_page, chromium, reference_platform, make_account,
    place_hold, reviewer, shots
):
    from verification.models import VerificationRequest

    owner = make_account("wang", platform_account_id="p-wang")
    place_hold(owner, "realname_missing")
    page = phone_page
    _from_the_app_to_verification(page, reference_platform, live_server, owner, shots)

    complete_and_submit(page, name=NAME, number=NUMBER)
    page.wait_for_selector("#progress[data-state=in_review]", timeout=30_000)
    request = VerificationRequest.objects.get(account=owner)

    staff = chromium.new_context(viewport={"width": 1280, "height": 900})
    staff.set_default_timeout(15_000)
    admin = staff.new_page()
    staff_sign_in_with_code(admin, live_server, reviewer)
    admin.goto(f"{live_server.url}/admin/verification/verificationrequest/{request.pk}/change/")
    admin.click("[data-testid=claim]")
    admin.wait_for_selector("[data-testid=release]")
    admin.fill("textarea[name=message]", "审核通过")
    admin.click("[data-testid=approve]")
    admin.wait_for_selector(".messagelist .success")
    staff.close()

    # Back in the app: the signed webhooks arrived and were verified, and the
    # platform's own "may" answer allows publishing again.
    app_page = f"{reference_platform.url}/u/{owner.platform_account_id}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.goto(app_page)
        types = {e.get_attribute("data-type") for e in page.locator("[data-testid=webhook]").all()}
        if {"verification.approved", "hold.lifted"} <= types:
            break
        time.sleep(1)
    page.screenshot(path=str(shots / "platform-3-after-approval.png"), full_page=True)
    assert {"verification.submitted", "verification.approved", "hold.lifted",
            "account.status_changed"} <= types
    assert page.locator("[data-testid=may-publish]").get_attribute("data-allowed") == "true"
    assert page.locator("[data-testid=all-good]").count() == 1
