"""Per-client rate limit: a JSON 429 with Retry-After, on the DRF path and on
the "may" fast path alike, from one counter per API key.

Transactional tests, so the services' on-commit cache refresh really runs
and the "may" answers come from the Redis status cache (the fast path).
"""

from __future__ import annotations

import time

import pytest
import redis

from accounts import cache
from accounts.api import auth, throttling
from accounts.api.views import MayView

from .conftest import READ, WRITE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rate(settings):
    """Set the per-client rate for one test."""

    def set_rate(value: str) -> None:
        settings.PORTAL_API_RATE_PER_CLIENT = value
        # The counting windows follow the clock: a test started in a window's
        # last seconds would see its counter reset half-way. Start in a new one.
        parsed = throttling.parse_rate(value)
        left = parsed[1] - time.time() % parsed[1] if parsed else 60
        if left < 10:
            time.sleep(left + 0.05)

    return set_rate


@pytest.fixture(autouse=True)
def _no_counters_left() -> None:
    for key in cache.redis_client().scan_iter(match=throttling.COUNTER_PREFIX + "*"):
        cache.redis_client().delete(key)


@pytest.fixture
def drf_calls(monkeypatch) -> list[str]:
    """Record each request that went through DRF's handling (``APIView.initial``)."""
    calls: list[str] = []
    original = MayView.initial

    def counting_initial(self, request, *args, **kwargs):
        calls.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(MayView, "initial", counting_initial)
    return calls


def _status_url(account) -> str:
    return f"/api/v1/accounts/{account.platform_account_id}/status"


def _may_url(account, feature: str = "publish") -> str:
    return f"/api/v1/accounts/{account.platform_account_id}/may/{feature}"


def _assert_throttled(response, window_seconds: int) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "throttled"
    assert response.json()["error"]["message"]
    assert 1 <= int(response["Retry-After"]) <= window_seconds


def _counters() -> list[bytes]:
    return list(cache.redis_client().scan_iter(match=throttling.COUNTER_PREFIX + "*"))


def test_drf_path_answers_429_json_with_retry_after(make_client, restricted_user, rate):
    rate("3/minute")
    keyed = make_client(READ)
    assert [keyed.http.get(_status_url(restricted_user)).status_code for _ in range(3)] == [200] * 3
    _assert_throttled(keyed.http.get(_status_url(restricted_user)), 60)


def test_writes_are_limited_too_and_a_refused_write_writes_nothing(
    make_client, active_user, rate
):
    rate("2/minute")
    keyed = make_client(WRITE)
    url = f"/api/v1/accounts/{active_user.platform_account_id}/holds"
    for _ in range(2):
        assert keyed.http.post(url, {"reason": "content_violation"}, format="json").status_code \
            == 201
    _assert_throttled(keyed.http.post(url, {"reason": "payment_anomaly"}, format="json"), 60)
    assert active_user.holds.count() == 2


def test_fast_path_is_limited_by_the_same_counter(make_client, restricted_user, rate,
                                                  drf_calls):
    rate("4/minute")
    keyed = make_client(READ)
    assert keyed.http.get(_status_url(restricted_user)).status_code == 200  # DRF, counts 1
    drf_calls.clear()
    answers = [keyed.http.get(_may_url(restricted_user)) for _ in range(3)]  # counts 2..4
    assert [a.status_code for a in answers] == [200] * 3
    assert drf_calls == []  # all three answered by the fast path
    refused = keyed.http.get(_may_url(restricted_user))
    _assert_throttled(refused, 60)
    assert drf_calls == [_may_url(restricted_user)]  # the 429 is DRF's, rendered once
    _assert_throttled(keyed.http.get(_status_url(restricted_user)), 60)


def test_each_client_has_its_own_budget(make_client, restricted_user, rate):
    rate("2/minute")
    busy, quiet = make_client(READ, name="busy"), make_client(READ, name="quiet")
    for _ in range(3):
        busy.http.get(_may_url(restricted_user))
    _assert_throttled(busy.http.get(_may_url(restricted_user)), 60)
    assert quiet.http.get(_may_url(restricted_user)).status_code == 200


def test_forged_keys_with_a_real_prefix_spend_nothing_of_its_budget(
    make_client, restricted_user, rate
):
    rate("3/minute")
    keyed = make_client(READ)
    forged = make_client(READ, name="attacker").http
    for n in range(20):
        forged.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key[:-6]}{n:06d}")
        assert forged.get(_may_url(restricted_user)).status_code == 401
    assert _counters() == []  # made-up keys leave no counter behind
    assert [keyed.http.get(_may_url(restricted_user)).status_code for _ in range(3)] == [200] * 3


def test_the_window_ends_and_requests_pass_again(make_client, restricted_user, rate):
    rate("2/second")
    keyed = make_client(READ)
    time.sleep(1 - time.time() % 1 + 0.01)  # start at the beginning of a window
    statuses = [keyed.http.get(_may_url(restricted_user)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    time.sleep(1.05)
    assert keyed.http.get(_may_url(restricted_user)).status_code == 200


def test_counters_expire_with_their_window(make_client, restricted_user, rate):
    rate("100/minute")
    keyed = make_client(READ)
    keyed.http.get(_may_url(restricted_user))
    [counter] = _counters()
    assert 0 < cache.redis_client().ttl(counter) <= 61


def test_without_the_pipelined_count_the_django_cache_counts(
    make_client, restricted_user, rate, monkeypatch
):
    rate("2/minute")

    def broken(*args, **kwargs):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(auth, "redis_mget_counting", broken)
    keyed = make_client(READ)
    statuses = [keyed.http.get(_may_url(restricted_user)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_no_rate_means_no_limit(make_client, restricted_user, rate):
    rate("")
    keyed = make_client(READ)
    assert {keyed.http.get(_may_url(restricted_user)).status_code for _ in range(30)} == {200}
    assert _counters() == []
