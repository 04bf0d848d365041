"""Sign-in for limited accounts, lockout, password change and reset."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from tests.conftest import PASSWORD

from .conftest import lock_out

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize("cast", ["active_user", "frozen_user", "banned_user"])
def test_every_status_can_sign_in_to_the_portal(client, request, cast):
    account = request.getfixturevalue(cast)
    response = sign_in(client, account.username, PASSWORD)
    assert response.status_code == 302 and response.url == reverse("accounts:status")
    assert client.get(reverse("accounts:status")).status_code == 200


def test_closed_account_cannot_sign_in_and_is_told_so(client, active_user):
    active_user.is_active = False
    active_user.save(update_fields=["is_active"])
    response = sign_in(client, active_user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "This account has been closed" in page
    assert "correct username and password" not in page  # the password was right


def test_closed_account_with_a_wrong_password_gets_the_usual_message(client, active_user):
    active_user.is_active = False
    active_user.save(update_fields=["is_active"])
    page = sign_in(client, active_user.username, "wrong").content.decode()
    assert "correct username and password" in page
    assert "closed" not in page  # nothing is told without the password


def test_closing_an_account_ends_its_session(client, active_user):
    client.force_login(active_user)
    assert client.get(reverse("accounts:status")).status_code == 200
    active_user.is_active = False
    active_user.save(update_fields=["is_active"])
    response = client.get(reverse("accounts:status"))
    assert response.status_code == 302 and reverse("login") in response.url


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


def test_locked_out_page_says_truly_when_the_pause_ends(client, frozen_user, settings):
    lock_out(client, frozen_user.username, "10.0.0.1")
    last = AccessAttempt.objects.get(username=frozen_user.username).attempt_time
    ends = timezone.localtime(last + settings.AXES_COOLOFF_TIME)
    response = sign_in(client, frozen_user.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert f"until {ends:%H:%M}" in page
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"about {minutes} minutes" in page or f"about {minutes - 1} minutes" in page


def test_trying_again_while_locked_out_does_not_move_the_end(client, frozen_user):
    lock_out(client, frozen_user.username, "10.0.0.1")
    before = AccessAttempt.objects.get(username=frozen_user.username).attempt_time
    for password in ("wrong", PASSWORD, "wrong again"):
        assert sign_in(client, frozen_user.username, password).status_code == 429
    assert AccessAttempt.objects.get(username=frozen_user.username).attempt_time == before


def test_the_pause_ends_when_the_page_says(client, frozen_user, settings):
    lock_out(client, frozen_user.username, "10.0.0.1")
    # Age the failures past the cool-off, as the clock would.
    AccessAttempt.objects.filter(username=frozen_user.username).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    response = sign_in(client, frozen_user.username, PASSWORD)
    assert response.status_code == 302


def test_a_completed_password_reset_ends_the_lockout(client, frozen_user):
    lock_out(client, frozen_user.username, "10.0.0.1")
    lock_out(client, frozen_user.username, "10.0.0.2")
    assert sign_in(client, frozen_user.username, PASSWORD).status_code == 429
    _reset_password(client, frozen_user, "fresh Pa55word!")
    assert not AccessAttempt.objects.filter(username=frozen_user.username).exists()
    assert sign_in(client, frozen_user.username, "fresh Pa55word!").status_code == 302
    assert StatusEvent.objects.filter(account=frozen_user, kind="password_changed").exists()


def test_an_unfinished_reset_leaves_the_lockout(client, frozen_user):
    lock_out(client, frozen_user.username, "10.0.0.1")
    client.post(reverse("password_reset"), {"email": frozen_user.email})
    assert len(mail.outbox) == 1
    assert sign_in(client, frozen_user.username, PASSWORD).status_code == 429


def _reset_password(client, account, new_password: str) -> None:
    client.post(reverse("password_reset"), {"email": account.email}, REMOTE_ADDR="10.9.9.9")
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link).url
    response = client.post(form_url, {"new_password1": new_password,
                                      "new_password2": new_password})
    assert response.status_code == 302, response.content


def test_locked_out_page_in_chinese(client, frozen_user, settings):
    lock_out(client, frozen_user.username, "10.0.0.1")
    last = AccessAttempt.objects.get(username=frozen_user.username).attempt_time
    ends = timezone.localtime(last + settings.AXES_COOLOFF_TIME)
    page = client.post(reverse("login"), {"username": frozen_user.username,
                                          "password": PASSWORD},
                       REMOTE_ADDR="10.0.0.1").content.decode()
    assert f"直到 {ends:%H:%M}" in page and "重置" in page
