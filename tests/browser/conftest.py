"""Headless Chromium (Debian's package) driven by Playwright's sync API.

Playwright runs an event loop in the test thread, so Django's async-safety
check would refuse ORM calls from the test body; the live server runs in its
own thread and is unaffected, and the test body's ORM use is sequential, so
allowing it here is safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A synthetic camera, permission granted: drives the liveness capture.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where the journeys save screenshots: ``docs/screenshots/`` under ``make
    screenshots`` (``PORTAL_SCREENSHOT_DIR``), otherwise a temporary folder, so
    the tests never write tracked files."""
    folder = os.environ.get("PORTAL_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    from tests.browser.camera import write_clip

    clip = write_clip(tmp_path_factory.mktemp("camera") / "camera.y4m")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


def _page(chromium, options: dict):
    context = chromium.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def phone_page(chromium):
    context, page = _page(chromium, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(chromium):
    context, page = _page(chromium, DESKTOP)
    yield page
    context.close()


def sign_in(page, live_server, username: str, password: str) -> None:
    """Sign in through the real login form and land on the status page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
