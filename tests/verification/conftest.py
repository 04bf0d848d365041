"""Generated pictures and shortcuts for verification tests.

Every picture is drawn with Pillow (pictures.py, cards.py); nothing is checked in.
By default a request's card photos show the name and number it was filled
with, so the document checks pass.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from verification import services
from verification.models import VerificationRequest

from .pictures import card_jpeg, frame_jpeg, upload

# Valid mainland resident ID numbers (checksums correct), all adults.
ID_NUMBERS = ["11010519491231002X", "110101199003074477", "31010119880808451X"]


@pytest.fixture
def make_request(make_account) -> Callable[..., VerificationRequest]:
    """Return a factory of complete drafts (or submitted requests) for fresh accounts."""

    def make(account=None, *, number: str = ID_NUMBERS[0], seed: int | None = None,
             front: bytes | None = None, back: bytes | None = None, frames: int = 3,
             submit: bool = False, name: str = "张三") -> VerificationRequest:
        account = account or make_account(language="en")
        seed = account.pk * 10 if seed is None else seed
        request = services.verification_start(acting_user=account)
        for scope in ("photos", "liveness"):
            services.verification_consent(request=request, acting_user=account, scope=scope)
        services.verification_set_details(
            request=request, acting_user=account, subject="individual", legal_name=name,
            document_type="cn_ric", number=number,
        )
        services.verification_attach_image(
            request=request, acting_user=account, kind="front",
            upload=upload(front or card_jpeg(seed, name=name, number=number)))
        services.verification_attach_image(
            request=request, acting_user=account, kind="back",
            upload=upload(back or card_jpeg(seed + 1, side="back", name=name, number=number)))
        services.verification_liveness_start(request=request, acting_user=account)
        for i in range(frames):
            services.verification_liveness_add_frame(
                request=request, acting_user=account, upload=upload(frame_jpeg(seed * 7 + i)))
        if submit:
            services.verification_submit(request=request, acting_user=account)
        request.refresh_from_db()
        return request

    return make


@pytest.fixture
def in_review(make_request) -> Callable[..., VerificationRequest]:
    """Return a factory of requests that went through the checks into review (no worker)."""

    def make(*args, **kwargs) -> VerificationRequest:
        request = make_request(*args, submit=True, **kwargs)
        state = services.verification_run_checks(request_id=request.pk)
        request.refresh_from_db()
        assert state == VerificationRequest.State.IN_REVIEW, list(
            request.checks.filter(passed=False).values("name", "detail"))
        return request

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
