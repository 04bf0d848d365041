"""Helpers of the sign-in tests: rate-limit counters start empty, lock a user out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from accounts.cache import redis_client


@pytest.fixture(autouse=True)
def _no_rate_limit_counts() -> Iterator[None]:
    """Counters live in Redis, which outlives each test's database."""
    client = redis_client()
    if client is not None:
        for key in client.scan_iter(match="*portal:ratelimit:*", count=500):
            client.delete(key)
    yield


def lock_out(client, username: str, address: str, *, limit: int | None = None) -> None:
    """Fail to sign in as ``username`` from ``address`` until locked out."""
    from django.conf import settings

    for _ in range(limit or settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": username, "password": "wrong"},
                               REMOTE_ADDR=address)
    assert response.status_code == 429
