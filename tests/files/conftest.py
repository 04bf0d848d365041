"""Fixtures for the file-guard tests: a private folder per test, English or Chinese pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import storages

from tests.appeals.conftest import file_appeal  # noqa: F401 - the appeals fixture, here too


@pytest.fixture
def private_dir(settings, tmp_path) -> Path:
    """Keep this test's private files in its own folder; return it."""
    folder = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(folder), "base_url": None}},
    }
    storages._storages.pop("private", None)
    # FileField evaluates its storage callable once, when the model class is built.
    from appeals.models import Attachment

    field = Attachment._meta.get_field("file")
    before, field.storage = field.storage, storages["private"]
    yield folder
    field.storage = before
    storages._storages.pop("private", None)


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield
