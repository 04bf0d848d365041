"""Malformed requests under /api/: always a 4xx JSON error, never a 500 and
never an HTML page, and nothing written."""

from __future__ import annotations

import json

import pytest

from accounts.models import Hold

pytestmark = pytest.mark.django_db

OBJECT = b'{"reason": "content_violation"}'


def _send(api, url: str, body: bytes, content_type: str = "application/json", **extra):
    return api.generic("POST", url, data=body, content_type=content_type, **extra)


def _assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def urls(frozen_user) -> dict[str, str]:
    hold = frozen_user.holds.get()
    return {
        "place": f"/api/v1/accounts/{frozen_user.platform_account_id}/holds",
        "lift": f"/api/v1/holds/{hold.pk}/lift",
    }


def _nothing_written(frozen_user) -> None:
    assert Hold.objects.filter(account=frozen_user).count() == 1
    assert frozen_user.holds.get().is_active


DEEP = b'{"reason": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
MODERATE = b'{"reason": "content_violation", "features": ' + b"[" * 40 + b"]" * 40 + b"}"
UNDER_THE_RECURSION_LIMIT = b'{"features": ' + b"[" * 900 + b"]" * 900 + b"}"


@pytest.mark.parametrize("endpoint", ["place", "lift"])
@pytest.mark.parametrize(("body", "code"), [
    (DEEP, "too_deep"),
    (MODERATE, "too_deep"),
    (UNDER_THE_RECURSION_LIMIT, "too_deep"),
    (b'{"reason": "\xff\xfe content"}', "invalid_encoding"),
    (b"\xef\xbb\xbf" + OBJECT, "invalid_json"),  # a UTF-8 byte-order mark
    (b'{"reason": "content_violation"', "invalid_json"),
    (b"", None),
    (b'{"reason": 1e999999}', "invalid_number"),
    (b'{"reason": -1e400}', "invalid_number"),
    (b'{"reason": ' + b"9" * 5000 + b"}", "invalid_number"),
    (b'{"reason": 123456789012345678901234567890}', "invalid_number"),
    (b'{"reason": NaN}', "invalid_number"),
    (b'{"reason": Infinity}', "invalid_number"),
    (b"[]", "invalid"),
    (b'[{"reason": "content_violation"}]', "invalid"),
    (b"null", "invalid"),
    (b'"content_violation"', "invalid"),
    (b"42", "invalid"),
    (b'{"reason": ["content_violation"], "lift_reason": ["staff"]}', "invalid"),
    (b'{"reason": {"a": 1}, "lift_reason": {"a": 1}}', "invalid"),
    (b'{"reason": "content_violation", "features": {"publish": true}, "lift_reason": 7}',
     "invalid"),
    (b'{"reason": "content_violation", "deadline": [2030], "lift_reason": "staff", '
     b'"note": ["x"]}', "invalid"),
    (b'{"reason": "content_violation", "public_message": "\\ud800", "lift_reason": "staff", '
     b'"note": "\\udfff"}', "invalid"),
    (b'{"reason": "content_violation", "public_message": "a\\u0000b", '
     b'"lift_reason": "staff", "note": "a\\u0000b"}', "invalid"),
])
def test_malformed_json_bodies_are_400_json(api, urls, frozen_user, endpoint, body, code):
    _assert_json_error(_send(api, urls[endpoint], body), 400, code)
    _nothing_written(frozen_user)


@pytest.mark.parametrize("endpoint", ["place", "lift"])
@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
    "application/xml", "", "application/json-patch+json",
])
def test_wrong_content_type_is_415_json(api, urls, frozen_user, endpoint, content_type):
    _assert_json_error(_send(api, urls[endpoint], OBJECT, content_type), 415,
                       "unsupported_media_type")
    _nothing_written(frozen_user)


def test_a_non_text_charset_is_refused(api, urls, frozen_user):
    # bz2_codec would decompress a small body without bound.
    response = _send(api, urls["place"], OBJECT, "application/json; charset=bz2_codec")
    _assert_json_error(response, 400)
    _nothing_written(frozen_user)


@pytest.mark.parametrize("endpoint", ["place", "lift"])
def test_a_13_mb_body_is_413_json(api, urls, frozen_user, endpoint):
    filler = "x" * (13 * 1024 * 1024)
    body = json.dumps({"reason": "content_violation", "public_message": filler}).encode()
    _assert_json_error(_send(api, urls[endpoint], body), 413, "payload_too_large")
    _nothing_written(frozen_user)


def test_a_body_just_over_the_api_limit_is_413(api, urls, frozen_user, settings):
    settings.PORTAL_API_MAX_BODY_BYTES = 1000
    body = json.dumps({"reason": "content_violation", "public_message": "x" * 1000}).encode()
    _assert_json_error(_send(api, urls["place"], body), 413, "payload_too_large")
    assert _send(api, urls["place"], OBJECT).status_code == 201  # a normal body still passes


def test_djangos_own_body_cap_is_also_a_413_json(api, urls, frozen_user, settings):
    settings.PORTAL_API_MAX_BODY_BYTES = 10**9
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"reason": "content_violation", "public_message": "x" * 2000}).encode()
    _assert_json_error(_send(api, urls["place"], body), 413, "payload_too_large")
    _nothing_written(frozen_user)


def test_a_wrong_method_is_405_json(api, urls):
    _assert_json_error(api.delete(urls["place"]), 405, "method_not_allowed")
    _assert_json_error(api.put(urls["lift"], OBJECT, content_type="application/json"), 405)


@pytest.mark.parametrize("query", [
    "after=1e999", "after=-1", "after=" + "9" * 40, "limit=0", "limit=%FF", "after=%00",
])
def test_bad_query_parameters_are_400_json(api, frozen_user, query):
    url = f"/api/v1/accounts/{frozen_user.platform_account_id}/events?{query}"
    _assert_json_error(api.get(url), 400)


def test_a_disallowed_host_is_400_json_not_html(api, frozen_user):
    response = api.get(f"/api/v1/accounts/{frozen_user.platform_account_id}/status",
                       HTTP_HOST="evil.example")
    _assert_json_error(response, 400, "bad_request")


def test_outside_the_api_a_disallowed_host_still_gets_djangos_page(client, db):
    response = client.get("/help/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("key", ["psk_\u00ff\u00fe_x", "psk_" + "a" * 5000, "\x00"])
def test_odd_keys_are_401_json(api, frozen_user, key):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api.get(f"/api/v1/accounts/{frozen_user.platform_account_id}/status")
    _assert_json_error(response, 401)


def test_a_crash_before_the_view_is_json_under_the_api(api, frozen_user, monkeypatch):
    from django.middleware.common import CommonMiddleware

    def crash(self, request):
        raise RuntimeError("a middleware bug")

    monkeypatch.setattr(CommonMiddleware, "process_request", crash)
    api.raise_request_exception = False
    response = api.get(f"/api/v1/accounts/{frozen_user.platform_account_id}/status")
    _assert_json_error(response, 500, "server_error")
    page = api.get("/help/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
