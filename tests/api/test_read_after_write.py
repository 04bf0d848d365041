"""The Redis status cache: a read right after a write sees the write.

Transactional tests, so the services' on-commit cache refresh really runs.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts import cache, services
from accounts.cache import StatusSnapshot, status_cache_get, status_cache_store
from accounts.models import Hold

pytestmark = pytest.mark.django_db(transaction=True)


def _may(api, account, feature="publish") -> dict:
    return api.get(f"/api/v1/accounts/{account.platform_account_id}/may/{feature}").json()


def test_reads_are_served_from_redis(api, active_user):
    assert cache.status_cache_enabled()
    assert status_cache_get(active_user.platform_account_id) is None
    _may(api, active_user)
    cached = status_cache_get(active_user.platform_account_id)
    assert cached is not None and cached.version == 0 and cached.account_id == active_user.pk


def test_api_write_then_api_read_sees_it(api, active_user):
    assert _may(api, active_user)["allowed"] is True  # now cached
    placed = api.post(f"/api/v1/accounts/{active_user.platform_account_id}/holds",
                      {"reason": "content_violation", "features": ["publish"]}, format="json")
    after_place = _may(api, active_user)
    assert after_place["allowed"] is False and after_place["version"] == 1
    api.post(f"/api/v1/holds/{placed.json()['id']}/lift", {"lift_reason": "staff"}, format="json")
    after_lift = _may(api, active_user)
    assert after_lift["allowed"] is True and after_lift["version"] == 2
    status = api.get(f"/api/v1/accounts/{active_user.platform_account_id}/status").json()
    assert status["status"] == "active" and status["holds"] == []


def test_service_write_then_api_read_sees_it(api, active_user):
    assert _may(api, active_user, "sign_in")["allowed"] is True  # now cached
    hold = services.hold_place(account=active_user, reason="suspicious_signin",
                               acting_user=None, source=Hold.Source.RISK_ENGINE)
    body = api.get(f"/api/v1/accounts/{active_user.platform_account_id}/status").json()
    assert body["status"] == "frozen" and "sign_in" in body["blocked_features"]
    assert _may(api, active_user, "sign_in")["allowed"] is False
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    assert _may(api, active_user, "sign_in")["allowed"] is True


def test_older_snapshot_never_overwrites_newer(active_user):
    newer = StatusSnapshot("p-x", "frozen", ["pay"], 5, active_user.pk)
    older = StatusSnapshot("p-x", "active", [], 4, active_user.pk)
    status_cache_store(newer)
    status_cache_store(older)  # a slow reader that loaded the row before the write
    assert status_cache_get("p-x") == newer


def test_snapshot_of_another_row_with_same_platform_id_is_replaced(active_user, make_account):
    """A reassigned platform id must not keep serving the previous row's status."""
    status_cache_store(StatusSnapshot("p-x", "banned", ["sign_in"], 9, active_user.pk))
    other = make_account("other")
    fresh = StatusSnapshot("p-x", "active", [], 0, other.pk)
    status_cache_store(fresh)
    assert status_cache_get("p-x") == fresh


def test_concurrent_reads_and_writes_end_on_the_latest_status(active_user, make_client):
    """Readers racing writers: after the writers finish, the cache holds the last write."""
    keyed = make_client()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
        try:
            while not stop.is_set():
                cache_key = cache.KEY_PREFIX + active_user.platform_account_id
                cache.redis_client().delete(cache_key)  # force misses: read row, store
                _may(http, active_user)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            hold = services.hold_place(account=active_user, reason="content_violation",
                                       acting_user=None, features=["publish"])
            services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
        services.hold_place(account=active_user, reason="content_violation",
                            acting_user=None, features=["publish"])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors
    active_user.refresh_from_db()
    assert active_user.status_version == 11
    assert status_cache_get(active_user.platform_account_id).version == 11
    assert _may(keyed.http, active_user)["allowed"] is False


def test_redis_outage_neither_fails_writes_nor_reads(api, active_user, settings):
    """With Redis unreachable the API answers from the database."""
    cache._redis.cache_clear()
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }}
    try:
        status_cache_store(StatusSnapshot("p-x", "active", [], 1, 1))  # must not raise
        response = api.post(f"/api/v1/accounts/{active_user.platform_account_id}/holds",
                            {"reason": "content_violation", "features": ["publish"]},
                            format="json")
        assert response.status_code == 201
        assert _may(api, active_user)["allowed"] is False
    finally:
        cache._redis.cache_clear()
