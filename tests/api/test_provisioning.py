"""Accounts provisioned by the platform: PUT /api/v1/accounts/{id}, and holds on
unknown ids. Every refusal is a clear JSON error and writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api import services as api_services
from accounts.api.models import ServiceClient
from accounts.models import Account, Hold, StatusEvent
from tests.conftest import errors_of, run_together

from .conftest import READ, WRITE

ACCOUNTS = ServiceClient.Scope.ACCOUNTS_WRITE
PROFILE = {
    "display_name": "王小明", "language": "zh-hans", "email": "wang@example.invalid",
    "phone_hint": "138****5678",
}


def _put(http, platform_account_id: str, body) -> object:
    return http.put(f"/api/v1/accounts/{platform_account_id}", body, format="json")


def _written() -> tuple[int, int, int]:
    return Account.objects.count(), StatusEvent.objects.count(), Hold.objects.count()


@pytest.fixture
def writer(make_client) -> APIClient:
    return make_client(ACCOUNTS, READ, WRITE).http


@pytest.mark.django_db
def test_put_creates_an_account_without_a_usable_password(writer):
    response = _put(writer, "u-1001", PROFILE)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platform_account_id"] == "u-1001" and body["display_name"] == "王小明"
    assert body["status"] == "active" and body["version"] == 0
    assert body["portal_url"].endswith("/")
    account = Account.objects.get(platform_account_id="u-1001")
    assert not account.has_usable_password()
    assert (account.phone_hint, account.email, account.language) == (
        "138****5678", "wang@example.invalid", "zh-hans")
    event = StatusEvent.objects.get(account=account)
    assert event.kind == StatusEvent.Kind.ACCOUNT_PROVISIONED
    assert event.data["via"] == "api" and event.data["profile"]["display_name"] == "王小明"


@pytest.mark.django_db
def test_put_again_is_idempotent_and_an_update_is_logged_with_old_and_new(writer):
    assert _put(writer, "u-1001", PROFILE).status_code == 201
    again = _put(writer, "u-1001", PROFILE)
    assert again.status_code == 200
    assert StatusEvent.objects.count() == 1  # nothing changed, nothing logged

    update = _put(writer, "u-1001", {"language": "en", "phone_hint": "****5678"})
    assert update.status_code == 200 and update.json()["language"] == "en"
    account = Account.objects.get(platform_account_id="u-1001")
    assert account.display_name == "王小明"  # omitted fields keep their value
    event = StatusEvent.objects.filter(kind=StatusEvent.Kind.PROFILE_UPDATED).get()
    assert event.data["changes"] == {
        "language": ["zh-hans", "en"], "phone_hint": ["138****5678", "****5678"]}


@pytest.mark.django_db
def test_put_updates_an_existing_demo_style_account(writer, active_user):
    response = _put(writer, active_user.platform_account_id, {"display_name": "Alice"})
    assert response.status_code == 200
    active_user.refresh_from_db()
    assert active_user.display_name == "Alice" and active_user.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_puts_make_one_account(make_client):
    key = make_client(ACCOUNTS).key

    def put():
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return _put(http, "u-race", PROFILE).status_code

    results = run_together([put, put])
    assert not errors_of(results), results
    assert sorted(results) == [200, 201]
    assert Account.objects.filter(platform_account_id="u-race").count() == 1
    assert StatusEvent.objects.filter(kind=StatusEvent.Kind.ACCOUNT_PROVISIONED).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), [
    ({"phone_hint": "13812345678"}, "phone_hint"),  # a full number
    ({"phone_hint": "138*5678"}, "phone_hint"),  # barely masked
    ({"phone_hint": "+86 13812345678"}, "phone_hint"),
    ({"language": "fr"}, "language"),
    ({"email": "not an address"}, "email"),
    ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": "bell\x07"}, "display_name"),
    ({"display_name": ["a list"]}, "display_name"),
    ({"nickname": "typo"}, "nickname"),
])
def test_malformed_profile_fields_are_400_and_write_nothing(writer, body, field):
    before = _written()
    response = _put(writer, "u-2002", {**PROFILE, **body})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert error["fields"][field][0]  # a readable message
    assert _written() == before


@pytest.mark.django_db
@pytest.mark.parametrize("platform_account_id", ["-starts-with-dash", "has space", "x" * 65, "中文"])
def test_malformed_platform_account_id_is_400(writer, platform_account_id):
    before = _written()
    response = _put(writer, platform_account_id, PROFILE)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_account_id"
    assert _written() == before


@pytest.mark.django_db
def test_body_must_be_an_object(writer):
    response = _put(writer, "u-3003", ["display_name"])
    assert response.status_code == 400 and not Account.objects.filter(
        platform_account_id="u-3003").exists()


@pytest.mark.django_db
def test_put_needs_the_accounts_write_scope(make_client):
    before = _written()
    response = _put(make_client(READ, WRITE).http, "u-4004", PROFILE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert _written() == before


@pytest.mark.django_db
def test_new_scopes_are_accepted_and_an_unknown_scope_is_refused():
    client, _key = api_services.service_client_create(
        name="platform", scopes=["sessions:create", "accounts:write"], acting_user=None)
    assert client.scopes == ["accounts:write", "sessions:create"]
    with pytest.raises(ValidationError) as error:
        api_services.service_client_create(
            name="bad", scopes=["accounts:write", "accounts:admin"], acting_user=None)
    assert error.value.code == "unknown_scope"
    assert ServiceClient.objects.count() == 1


# ---------------------------------------------------------------------------
# Holds on unknown ids
# ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_hold_on_an_unknown_id_creates_the_account(make_client):
    http = make_client(WRITE).http  # holds:write is enough
    response = http.post("/api/v1/accounts/u-new/holds", {"reason": "realname_missing"},
                         format="json")
    assert response.status_code == 201, response.json()
    account = Account.objects.get(platform_account_id="u-new")
    assert account.status == "restricted" and not account.has_usable_password()
    kinds = list(StatusEvent.objects.filter(account=account).order_by("pk")
                 .values_list("kind", flat=True))
    assert kinds[0] == StatusEvent.Kind.ACCOUNT_PROVISIONED
    assert StatusEvent.objects.get(kind=StatusEvent.Kind.ACCOUNT_PROVISIONED).data["via"] == "hold"


@pytest.mark.django_db
def test_a_refused_hold_on_an_unknown_id_creates_no_account(api):
    before = _written()
    response = api.post("/api/v1/accounts/u-new/holds",
                        {"reason": "severe_violation", "level": "restricted"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "level_not_allowed"
    assert _written() == before


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_holds_on_one_unknown_id_make_one_account(make_client):
    key = make_client(WRITE).key

    def place(reason):
        def action():
            http = APIClient()
            http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            return http.post("/api/v1/accounts/u-twice/holds", {"reason": reason},
                             format="json").status_code
        return action

    results = run_together([place("content_violation"), place("payment_anomaly")])
    assert results == [201, 201], results
    account = Account.objects.get(platform_account_id="u-twice")
    assert account.holds.count() == 2 and account.status == "frozen"


# ---------------------------------------------------------------------------
# Signing in: no password, and the login page says so without telling who exists
# ---------------------------------------------------------------------------
def _login_page_after(client, username: str) -> str:
    response = client.post(reverse("login"), {"username": username, "password": "guess"},
                           REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    return response.content.decode()


@pytest.mark.django_db
def test_a_provisioned_owner_trying_a_password_is_told_to_use_the_app(client, writer):
    _put(writer, "u-5005", PROFILE)
    username = Account.objects.get(platform_account_id="u-5005").username
    page = _login_page_after(client, username)
    assert 'data-testid="no-password-hint"' in page
    # The same hint, word for word, for a username that does not exist.
    unknown = _login_page_after(client, "nobody-at-all")
    hint = page.split('data-testid="no-password-hint">')[1].split("</div>")[0]
    assert hint in unknown


@pytest.mark.django_db
def test_the_language_the_platform_gives_follows_the_owner_to_every_browser(writer, client):
    assert _put(writer, "u-lang", {"language": "en"}).status_code == 201
    account = Account.objects.get(platform_account_id="u-lang")
    assert account.language == "en" and account.language_chosen_at is not None
    # A browser asking for Chinese does not change what the app chose.
    client.force_login(account)
    client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    account.refresh_from_db()
    assert account.language == "en"
