"""Sign-in for limited accounts, lockout, password change and reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import StatusEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1"
    )


@pytest.mark.parametrize("cast", ["active_user", "frozen_user", "banned_user"])
def test_every_status_can_sign_in_to_the_portal(client, request, cast):
    account = request.getfixturevalue(cast)
    response = sign_in(client, account.username, PASSWORD)
    assert response.status_code == 302 and response.url == reverse("accounts:status")
    assert client.get(reverse("accounts:status")).status_code == 200


def test_closed_account_cannot_sign_in(client, active_user):
    active_user.is_active = False
    active_user.save(update_fields=["is_active"])
    response = sign_in(client, active_user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_out_even_the_right_password(client, frozen_user, settings):
    statuses = [
        sign_in(client, frozen_user.username, "wrong").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = sign_in(client, frozen_user.username, PASSWORD)
    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client, frozen_user, active_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, frozen_user.username, "wrong")
    assert sign_in(client, active_user.username, PASSWORD).status_code == 302


def test_password_change_is_logged_as_securing_the_account(client, frozen_user):
    client.force_login(frozen_user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new Pa55word!",
            "new_password2": "a new Pa55word!",
        },
    )
    assert response.status_code == 302
    frozen_user.refresh_from_db()
    assert frozen_user.check_password("a new Pa55word!")
    assert StatusEvent.objects.filter(account=frozen_user, kind="password_changed").exists()


def test_password_change_with_wrong_old_password_changes_nothing(client, frozen_user):
    client.force_login(frozen_user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "a new Pa55word!",
            "new_password2": "a new Pa55word!",
        },
    )
    assert response.status_code == 200
    frozen_user.refresh_from_db()
    assert frozen_user.check_password(PASSWORD)
    assert not StatusEvent.objects.filter(account=frozen_user, kind="password_changed").exists()


def test_password_reset_by_email_link(client, banned_user):
    client.post(reverse("password_reset"), {"email": banned_user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    response = client.post(
        form_url, {"new_password1": "fresh Pa55word!", "new_password2": "fresh Pa55word!"}
    )
    assert response.status_code == 302
    banned_user.refresh_from_db()
    assert banned_user.check_password("fresh Pa55word!")
