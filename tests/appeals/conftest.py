"""Helpers for appeal tests: generated evidence files and a filing shortcut."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Account, Hold
from appeals import services
from appeals.models import Appeal
from appeals.uploads import CleanFile, evidence_clean
from tests.files.samples import plain_pdf

# A one-page document written by pikepdf (tests/files/samples.py has the hostile ones).
PDF_OK = plain_pdf()


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def clean_image(name: str = "photo.jpg") -> CleanFile:
    return evidence_clean(upload(name, image_bytes()))


@pytest.fixture
def file_appeal() -> Callable[..., Appeal]:
    """Return a shortcut that files an appeal through the service."""

    def file(hold: Hold, account: Account | None = None, **kwargs) -> Appeal:
        account = account or hold.account
        kwargs.setdefault("category", Appeal.Category.WRONG_DECISION)
        kwargs.setdefault("statement", "I did not break the rules; the post was a quote.")
        return services.appeal_file(account=account, hold=hold, acting_user=account, **kwargs)

    return file


@pytest.fixture
def client():
    """A test client that reads pages in English, so assertions can quote the text."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
