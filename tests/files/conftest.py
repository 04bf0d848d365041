"""Fixtures for the file-guard tests (``private_dir`` is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.appeals.conftest import file_appeal  # noqa: F401 - the appeals fixture, here too


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield
