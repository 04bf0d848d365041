"""Opening a hand-off sign-in link: GET shows "Continue" and uses nothing; POST
signs the owner in once, with a new session, and lands on the allowed path.
Used, expired, tampered and foreign links sign nobody in."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import SignInLink, StatusEvent
from tests.conftest import errors_of, run_together

SIGNED_IN = StatusEvent.Kind.SIGNED_IN_FROM_APP


def _issue(account, next_path=None, **kwargs) -> str:
    issued = services.sign_in_link_issue(
        account=account, next_path=next_path, issued_by_id=None, **kwargs)
    return reverse("accounts:sign_in_link", args=[issued.token])


def _signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def _refused(response) -> bool:
    return response.status_code == 410 and 'data-testid="link-refused"' in response.content.decode()


@pytest.mark.django_db
def test_get_shows_continue_and_uses_nothing(client, frozen_user):
    url = _issue(frozen_user, "/verification/")
    for _ in range(3):  # a link preview, a scanner, the owner's own browser
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-testid="continue"' in html and "js/continue.js" in html
        assert 'method="post"' in html
    assert page["Cache-Control"].startswith("max-age=0")
    assert SignInLink.objects.get().used_at is None
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_post_signs_in_with_a_fresh_session_and_lands_on_next(client, frozen_user):
    url = _issue(frozen_user, "/verification/")
    client.get(url)
    key_before = client.session.session_key
    response = client.post(url)
    assert response.status_code == 303 and response["Location"] == "/verification/"
    assert _signed_in_as(client) == frozen_user.pk
    assert client.session.session_key != key_before
    assert client.cookies["django_language"].value == frozen_user.language
    event = StatusEvent.objects.get(account=frozen_user, kind=SIGNED_IN)
    assert event.data["next"] == "/verification/" and event.acting_user == frozen_user
    assert SignInLink.objects.get().used_at is not None
    assert client.get("/verification/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("cast", ["restricted_user", "frozen_user", "banned_user"])
def test_limited_owners_get_in(client, request, cast):
    account = request.getfixturevalue(cast)
    client.post(_issue(account))
    assert _signed_in_as(client) == account.pk
    assert client.get(reverse("accounts:status")).status_code == 200


@pytest.mark.django_db
def test_a_link_for_another_account_asks_before_switching(client, frozen_user, banned_user):
    """A link someone forwards must not swap this browser into their account
    (the ID photos uploaded next would be theirs): nothing happens by itself."""
    client.force_login(banned_user)
    url = _issue(frozen_user, "/verification/")
    page = client.get(url).content.decode()
    assert 'data-testid="other-account-signed-in"' in page
    assert "data-auto-submit" not in page and "js/continue.js" not in page
    # A POST without the owner's choice (a script that presses the button) changes nothing.
    answer = client.post(url)
    assert answer.status_code == 200 and 'data-testid="switch"' in answer.content.decode()
    assert _signed_in_as(client) == banned_user.pk
    assert SignInLink.objects.get().used_at is None


@pytest.mark.django_db
def test_someone_else_signed_in_is_signed_out_when_they_choose_to_switch(
        client, frozen_user, banned_user):
    client.force_login(banned_user)
    session = client.session
    session["mark"] = "banned user's session"
    session.save()
    response = client.post(_issue(frozen_user), {"switch": "1"})
    assert response.status_code == 303
    assert _signed_in_as(client) == frozen_user.pk
    assert "mark" not in client.session


@pytest.mark.django_db
def test_the_same_owner_signed_in_continues_at_once(client, frozen_user):
    client.force_login(frozen_user)
    url = _issue(frozen_user)
    assert "js/continue.js" in client.get(url).content.decode()
    assert client.post(url).status_code == 303
    assert _signed_in_as(client) == frozen_user.pk


# ---------------------------------------------------------------------------
# Links that sign nobody in
# ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_used_link_signs_nobody_in(frozen_user):
    url = _issue(frozen_user)
    first, second = Client(), Client()
    assert first.post(url).status_code == 303
    assert _refused(second.post(url)) and _refused(second.get(url))
    assert _signed_in_as(second) is None
    assert StatusEvent.objects.filter(kind=SIGNED_IN).count() == 1


@pytest.mark.django_db
def test_an_expired_link_signs_nobody_in(client, frozen_user, settings):
    issued_at = timezone.now() - timedelta(seconds=settings.PORTAL_SIGN_IN_LINK_TTL_SECONDS + 1)
    url = _issue(frozen_user, now=issued_at)
    assert _refused(client.get(url)) and _refused(client.post(url))
    assert _signed_in_as(client) is None
    assert SignInLink.objects.get().used_at is None


@pytest.mark.django_db
def test_a_tampered_link_signs_nobody_in(client, frozen_user):
    url = _issue(frozen_user)
    token = url.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:-1], token + "A", token.upper(), "x" * 43, "..", "%00"):
        response = client.post(reverse("accounts:sign_in_link", args=[bad]))
        assert _refused(response), bad
    assert _signed_in_as(client) is None
    assert SignInLink.objects.get().used_at is None  # the real link still works
    assert client.post(url).status_code == 303


@pytest.mark.django_db
def test_a_foreign_link_signs_nobody_in(client, frozen_user):
    # Well-formed, as another portal (or another environment) would issue it.
    _issue(frozen_user)
    foreign = reverse("accounts:sign_in_link", args=[secrets.token_urlsafe(32)])
    assert _refused(client.get(foreign)) and _refused(client.post(foreign))
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_a_link_of_an_account_closed_since_signs_nobody_in(client, frozen_user):
    url = _issue(frozen_user)
    frozen_user.is_active = False
    frozen_user.save(update_fields=["is_active"])
    assert _refused(client.get(url)) and _refused(client.post(url))
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_the_refusal_is_in_the_users_language(frozen_user):
    url = reverse("accounts:sign_in_link", args=[secrets.token_urlsafe(32)])
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    chinese = Client().get(url).content.decode()
    assert "This link has expired or was already used" in english
    assert "go back to the app" in english.lower()
    assert "This link has expired" not in chinese and "应用" in chinese


@pytest.mark.django_db(transaction=True)
def test_a_link_opened_twice_at_the_same_instant_signs_in_once(frozen_user):
    url = _issue(frozen_user)
    clients = [Client(), Client()]

    def open_with(client):
        return lambda: (client.post(url).status_code, _signed_in_as(client))

    results = run_together([open_with(c) for c in clients])
    assert not errors_of(results), results
    assert sorted(results, key=str) == sorted([(303, frozen_user.pk), (410, None)], key=str)
    assert StatusEvent.objects.filter(kind=SIGNED_IN).count() == 1


# ---------------------------------------------------------------------------
# The hold deep link (the API's portal_url)
# ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_hold_deep_link_tells_a_stranger_to_open_it_from_the_app(client, frozen_user):
    hold = frozen_user.holds.get()
    page = client.get(reverse("accounts:hold", args=[hold.pk]))
    assert page.status_code == 200
    assert 'data-testid="open-from-app"' in page.content.decode()


@pytest.mark.django_db
def test_hold_deep_link_takes_the_owner_to_the_holds_card(client, frozen_user, banned_user):
    hold = frozen_user.holds.get()
    client.force_login(frozen_user)
    response = client.get(reverse("accounts:hold", args=[hold.pk]))
    assert response.status_code == 302 and response["Location"] == f"/#hold-{hold.pk}"
    other = banned_user.holds.get()
    assert client.get(reverse("accounts:hold", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_the_continue_page_speaks_the_owners_language(make_account):
    owner = make_account("lena", language="en", display_name="Lena")
    page = Client().get(_issue(owner)).content.decode()  # the browser asks for Chinese
    assert "Continue to your account centre" in page and "Lena" in page


@pytest.mark.django_db
def test_sign_in_pages_offer_the_platforms_oidc_when_it_is_on(client, frozen_user, settings):
    settings.PORTAL_OIDC_ENABLED = True
    settings.PORTAL_OIDC_PROVIDER_NAME = "短视频"
    login = client.get(reverse("login") + "?next=/verification/").content.decode()
    assert 'data-testid="oidc-sign-in"' in login and "短视频" in login
    assert "/sign-in/platform/?next=/verification/" in login
    hold_page = client.get(reverse("accounts:hold", args=[frozen_user.holds.get().pk]))
    assert 'data-testid="oidc-sign-in"' in hold_page.content.decode()
