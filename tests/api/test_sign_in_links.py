"""POST /api/v1/accounts/{id}/sign-in-links: issuing hand-off links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.api.models import ServiceClient
from accounts.models import SignInLink

from .conftest import READ

SESSIONS = ServiceClient.Scope.SESSIONS_CREATE
pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer(make_client):
    return make_client(SESSIONS)


def _appeal(account):
    from appeals import services as appeal_services
    from appeals.models import Appeal

    return appeal_services.appeal_file(
        account=account, hold=account.holds.get(), acting_user=account,
        category=Appeal.Category.WRONG_DECISION, statement="This was a mistake, please look.",
    )


def _ask(http, account_or_id, body=None):
    pid = getattr(account_or_id, "platform_account_id", account_or_id)
    return http.post(f"/api/v1/accounts/{pid}/sign-in-links", body or {}, format="json")


def test_a_link_is_issued_once_and_stored_hashed(issuer, frozen_user, settings):
    settings.SITE_URL = "https://portal.example"
    before = timezone.now()
    response = _ask(issuer.http, frozen_user)
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["url"].startswith("https://portal.example/sign-in/link/")
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    link = SignInLink.objects.get()
    assert token not in (link.token_hash, link.next_path) and len(link.token_hash) == 64
    assert link.account == frozen_user and link.issued_by == issuer.client
    assert link.next_path == "/" and link.used_at is None
    expires = parse_datetime(body["expires_at"])
    ttl = timedelta(seconds=settings.PORTAL_SIGN_IN_LINK_TTL_SECONDS)
    assert before + ttl <= expires <= timezone.now() + ttl


def test_each_request_gets_a_new_link(issuer, frozen_user):
    first, second = _ask(issuer.http, frozen_user), _ask(issuer.http, frozen_user)
    assert first.json()["url"] != second.json()["url"]
    assert SignInLink.objects.count() == 2


@pytest.mark.parametrize("target", ["verification", "own hold", "own appeal", "status"])
def test_next_may_be_an_allowed_portal_path_of_this_account(issuer, restricted_user, target):
    path = {
        "verification": lambda: "/verification/",
        "own hold": lambda: f"/holds/{restricted_user.holds.get().pk}/",
        "own appeal": lambda: f"/appeals/{_appeal(restricted_user).pk}/",
        "status": lambda: "/",
    }[target]()
    frozen_user = restricted_user
    response = _ask(issuer.http, frozen_user, {"next": path})
    assert response.status_code == 201, response.json()
    assert SignInLink.objects.get().next_path == path


@pytest.mark.parametrize("next_path", [
    "https://evil.example/",
    "//evil.example/verification/",
    "/\\evil.example/",
    "http:/verification/",
    "javascript:alert(1)",
    "verification/",
    "/verification/?next=https://evil.example/",
    "/verification/#x",
    "/verification",
    "/admin/",
    "/accounts/login/",
    "/api/v1/schema/",
    "/sign-in/link/abc/",
    "/ /verification/",
    "/verification/\n",
])
def test_next_outside_the_allow_list_is_refused(issuer, frozen_user, next_path):
    response = _ask(issuer.http, frozen_user, {"next": next_path})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] in {"next_not_allowed", "invalid"}
    assert not SignInLink.objects.exists()


def test_next_naming_another_accounts_hold_or_appeal_is_refused(
    issuer, frozen_user, restricted_user
):
    other_hold = restricted_user.holds.get()
    other_appeal = _appeal(restricted_user)
    for path in (f"/holds/{other_hold.pk}/", f"/appeals/{other_appeal.pk}/", "/holds/999999/"):
        response = _ask(issuer.http, frozen_user, {"next": path})
        assert response.json()["error"]["code"] == "next_not_allowed", path
    assert not SignInLink.objects.exists()


def test_a_link_for_an_unknown_account_is_a_json_404(issuer):
    response = _ask(issuer.http, "nobody-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_not_found"
    assert not SignInLink.objects.exists()


def test_links_need_the_sessions_scope(make_client, frozen_user):
    response = _ask(make_client(READ).http, frozen_user)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert not SignInLink.objects.exists()


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser", "closed"])
def test_no_link_for_staff_or_closed_accounts(issuer, make_account, flag):
    account = make_account()
    if flag == "closed":
        account.is_active = False
    else:
        setattr(account, flag, True)
    account.save()
    response = _ask(issuer.http, account)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == (
        "account_closed" if flag == "closed" else "staff_account")
    assert not SignInLink.objects.exists()


def test_a_burst_of_links_is_throttled_per_client(make_client, frozen_user, settings):
    settings.PORTAL_SIGN_IN_LINK_RATE = "3/min"
    burst, other = make_client(SESSIONS, name="burst"), make_client(SESSIONS, name="other")
    statuses = [_ask(burst.http, frozen_user).status_code for _ in range(3)]
    refused = _ask(burst.http, frozen_user)
    assert statuses == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert SignInLink.objects.count() == 3
    assert _ask(other.http, frozen_user).status_code == 201  # per client, not global
