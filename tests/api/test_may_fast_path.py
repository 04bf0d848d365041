"""The "may" endpoint's fast path (``MayView.dispatch``): the common case is
answered without DRF's request handling, and must answer exactly what DRF would;
every other case must fall through to DRF and get its error.

Transactional tests, so the services' on-commit cache refresh really runs.
"""

from __future__ import annotations

import pytest

from accounts import cache
from accounts.api import services as api_services
from accounts.api.auth import CLIENT_CACHE_PREFIX
from accounts.api.views import MayView

from .conftest import READ, WRITE

pytestmark = pytest.mark.django_db(transaction=True)

COMPARED_HEADERS = ("Content-Type", "Allow", "Vary", "Content-Length", "X-Frame-Options")


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


def _may_url(account, feature="publish") -> str:
    return f"/api/v1/accounts/{account.platform_account_id}/may/{feature}"


def test_fast_answer_is_byte_for_byte_drf_answer(api, restricted_user, drf_calls, monkeypatch):
    url = _may_url(restricted_user, restricted_user.blocked_features[0])
    with monkeypatch.context() as patched:
        patched.setattr(MayView, "_answer_from_cache", lambda *args, **kwargs: None)
        through_drf = api.get(url)
    from_cache = api.get(url)
    assert drf_calls == [url]  # the second answer did not go through DRF
    assert from_cache.status_code == through_drf.status_code == 200
    assert from_cache.content == through_drf.content
    assert from_cache.json()["allowed"] is False
    for header in COMPARED_HEADERS:
        assert from_cache.get(header) == through_drf.get(header), header


@pytest.mark.parametrize(
    ("spoil", "status", "code"),
    [
        ("revoke", 401, "revoked_key"),
        ("wrong_secret", 401, "invalid_key"),
        ("basic_scheme", 401, "invalid_header"),
        ("no_key", 401, "not_authenticated"),
        ("write_only", 403, "missing_scope"),
        ("unknown_feature", 400, "unknown_feature"),
    ],
)
def test_refusals_fall_through_to_drf_errors(
    make_client, restricted_user, drf_calls, spoil, status, code
):
    keyed = make_client(WRITE if spoil == "write_only" else READ)
    warm = make_client(READ)
    assert warm.http.get(_may_url(restricted_user)).status_code == 200  # status now cached
    feature = "teleport" if spoil == "unknown_feature" else "publish"
    if spoil == "revoke":
        assert keyed.http.get(_may_url(restricted_user)).status_code == 200  # key now cached
        api_services.service_client_revoke(client=keyed.client, acting_user=None)
    elif spoil == "wrong_secret":
        keyed.http.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key[:-4]}AAAA")
    elif spoil == "basic_scheme":
        keyed.http.credentials(HTTP_AUTHORIZATION=f"Basic {keyed.key}")
    elif spoil == "no_key":
        keyed.http.credentials()
    drf_calls.clear()
    response = keyed.http.get(_may_url(restricted_user, feature))
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert drf_calls, "a refusal must be decided by DRF's handling"


def test_a_lost_redis_connection_is_replaced(api, restricted_user, drf_calls):
    url = _may_url(restricted_user, restricted_user.blocked_features[0])
    assert api.get(url).json()["allowed"] is False  # status cached, connection open
    killed_id = _own_connection_id()
    cache.redis_client().execute_command("CLIENT", "KILL", "ID", killed_id)

    after_kill = api.get(url)  # the MGET fails once, then runs on a new connection
    assert after_kill.status_code == 200 and after_kill.json()["allowed"] is False
    again = api.get(url)
    assert again.content == after_kill.content
    assert _own_connection_id() != killed_id  # reconnected
    assert drf_calls == []


def _own_connection_id() -> int:
    connection = cache._owned_connection()
    connection.send_command("CLIENT", "ID")
    return connection.read_response()


@pytest.mark.parametrize("entry", [b"{not json", b'{"status": "active", "extra": 1}', b"[]"])
def test_unreadable_cache_entries_are_misses(api, restricted_user, entry):
    # Another version of this code may have written them (a rolling deploy).
    url = _may_url(restricted_user, restricted_user.blocked_features[0])
    assert api.get(url).status_code == 200  # the key's client is now cached too
    client = cache.redis_client()
    assert list(client.scan_iter(match=CLIENT_CACHE_PREFIX + "*"))
    client.set(cache.status_cache_key(restricted_user.platform_account_id), entry)
    for key in client.scan_iter(match=CLIENT_CACHE_PREFIX + "*"):
        client.set(key, entry)
    response = api.get(url)
    assert response.status_code == 200 and response.json()["allowed"] is False
