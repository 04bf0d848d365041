"""Generated pictures and shortcuts for verification tests.

Every picture is drawn with Pillow (pictures.py, cards.py); nothing is checked in.
By default a request's card photos show the name and number it was filled
with, so the document checks pass.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import verification as wizard
from verification.models import VerificationRequest


@pytest.fixture
def make_request(make_account) -> Callable[..., VerificationRequest]:
    """Return a factory of complete drafts (or submitted requests) for fresh accounts."""

    def make(account=None, *, seed: int | None = None, **kwargs) -> VerificationRequest:
        account = account or make_account(language="en")
        return wizard.complete(account, seed=account.pk * 10 if seed is None else seed, **kwargs)

    return make


@pytest.fixture
def in_review(make_request) -> Callable[..., VerificationRequest]:
    """Return a factory of requests that went through the checks into review (no worker)."""

    def make(*args, **kwargs) -> VerificationRequest:
        return wizard.checked_into_review(make_request(*args, submit=True, **kwargs))

    return make


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Speak English in these tests (the portal's default is Simplified Chinese)."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Keep each test's private files in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None}},
    }
    from django.core.files.storage import storages

    storages._storages.pop("private", None)
    yield tmp_path / "private"
    storages._storages.pop("private", None)
