"""API keys: 401 without a valid key, 403 without the scope, always JSON."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.api import services as api_services
from accounts.api.models import ServiceClient

from .conftest import READ, WRITE

pytestmark = pytest.mark.django_db


def _status_url(account) -> str:
    return f"/api/v1/accounts/{account.platform_account_id}/status"


def test_request_without_key_is_401_json(active_user):
    response = APIClient().get(_status_url(active_user))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("key", ["psk_000000000000_nope", "not-a-key", "psk__x"])
def test_unknown_or_malformed_key_is_401(active_user, key):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = http.get(_status_url(active_user))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_key"


def test_right_prefix_wrong_secret_is_401(active_user, make_client):
    keyed = make_client(READ)
    forged = keyed.key[:-4] + ("AAAA" if not keyed.key.endswith("AAAA") else "BBBB")
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert http.get(_status_url(active_user)).status_code == 401


def test_other_authorization_scheme_is_401(active_user, make_client):
    keyed = make_client(READ)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Basic {keyed.key}")
    response = http.get(_status_url(active_user))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_header"


def test_x_api_key_header_is_accepted(active_user, make_client):
    keyed = make_client(READ, header="x-api-key")
    assert keyed.http.get(_status_url(active_user)).status_code == 200


def test_revoked_key_is_401(active_user, make_client):
    keyed = make_client(READ)
    assert keyed.http.get(_status_url(active_user)).status_code == 200
    assert api_services.service_client_revoke(client=keyed.client, acting_user=None)
    response = keyed.http.get(_status_url(active_user))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_key"


def test_scope_change_applies_to_the_next_request(active_user, make_client):
    keyed = make_client(READ)
    assert keyed.http.get(_status_url(active_user)).status_code == 200  # client now cached
    api_services.service_client_update(
        client=keyed.client, name="risk engine", scopes=[WRITE], acting_user=None
    )
    assert keyed.http.get(_status_url(active_user)).status_code == 403


def test_read_only_key_cannot_place_holds(active_user, make_client):
    keyed = make_client(READ)
    response = keyed.http.post(
        f"/api/v1/accounts/{active_user.platform_account_id}/holds",
        {"reason": "content_violation"}, format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert not active_user.holds.exists()


def test_write_only_key_cannot_read_status(active_user, make_client):
    keyed = make_client(WRITE)
    response = keyed.http.get(_status_url(active_user))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_key_is_stored_hashed_only(make_client):
    keyed = make_client(READ)
    row = ServiceClient.objects.get(pk=keyed.client.pk)
    assert keyed.key not in (row.key_hash, row.key_prefix)
    assert row.key_prefix in keyed.key and len(row.key_hash) == 64


def test_unknown_url_under_api_is_json_404(api):
    response = api.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_post_url_under_api_is_json_404_not_csrf_page(make_client):
    http = APIClient(enforce_csrf_checks=True)
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {make_client(WRITE).key}")
    response = http.post("/api/v1/holds/not-a-number/lift", {"lift_reason": "staff"},
                        format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# ---------------------------------------------------------------------------
# Unknown keys are remembered as unknown (a flood of made-up keys stays off
# the database), and a key created afterwards works at once.
# ---------------------------------------------------------------------------
def _with_key(key: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http


def test_an_unknown_key_reads_the_database_once_then_the_cache(active_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = _with_key("psk_0123456789ab_made-up-secret")
    with CaptureQueriesContext(connection) as first:
        assert http.get(_status_url(active_user)).status_code == 401
    assert any("api_serviceclient" in q["sql"] for q in first.captured_queries)
    for _ in range(20):
        with CaptureQueriesContext(connection) as later:
            response = http.get(_status_url(active_user))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_key"
        assert later.captured_queries == []


def test_the_unknown_mark_expires_soon(active_user):
    from accounts.api.auth import CLIENT_CACHE_PREFIX, UNKNOWN_CLIENT_TTL_SECONDS
    from accounts.cache import redis_client

    _with_key("psk_00000000beef_x").get(_status_url(active_user))
    ttl = redis_client().ttl(CLIENT_CACHE_PREFIX + "00000000beef")
    assert 0 < ttl <= UNKNOWN_CLIENT_TTL_SECONDS


def test_a_key_created_after_its_prefix_was_marked_unknown_works_at_once(
    active_user, monkeypatch
):
    from accounts.api import signing

    prefix = "c0ffee000001"
    assert _with_key(f"psk_{prefix}_guess").get(_status_url(active_user)).status_code == 401
    monkeypatch.setattr(signing.secrets, "token_hex", lambda n: prefix)
    client, key = api_services.service_client_create(
        name="new", scopes=[READ], acting_user=None
    )
    assert client.key_prefix == prefix
    assert _with_key(key).get(_status_url(active_user)).status_code == 200
