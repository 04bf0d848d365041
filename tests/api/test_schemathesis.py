"""Property-based requests generated from the served OpenAPI document.

Schemathesis loads /api/v1/schema/ from the WSGI app and sends generated
requests with a valid key (both scopes). No request may produce a 500, every
response must be JSON, and documented answers must match their schema. One
run fuzzes every parameter; another pins the path to an existing account and
hold so bodies, queries and headers reach the services instead of stopping at
a 404.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts import services

pytestmark = pytest.mark.django_db

EXAMPLES = 40


@pytest.fixture
def api_schema(db):
    # As Django's test client does: a request must not close the connection
    # that holds the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", get_wsgi_application()
        )
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def key_and_targets(make_client, make_account):
    account = make_account("fuzz")
    hold = services.hold_place(account=account, reason="content_violation", acting_user=None)
    return make_client().key, account, hold


schema = schemathesis.pytest.from_fixture("api_schema")
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _call(case, key: str) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (response.status_code, response.text[:200])


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzzed_requests_never_fail_with_500(case, key_and_targets):
    key, _account, _hold = key_and_targets
    _call(case, key)


@schema.parametrize()
@FUZZ_SETTINGS
def test_requests_on_a_real_account_never_fail_with_500(case, key_and_targets):
    key, account, hold = key_and_targets
    if "platform_account_id" in (case.path_parameters or {}):
        case.path_parameters["platform_account_id"] = account.platform_account_id
    if "hold_id" in (case.path_parameters or {}):
        case.path_parameters["hold_id"] = hold.pk
    _call(case, key)
