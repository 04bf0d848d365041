"""Password reset requests are limited per client address and per email
address, with a clear message, and the answer never tells whether an
account has the email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def ask(client, email: str, address: str = "10.1.1.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def limits(settings):
    settings.PORTAL_PASSWORD_RESET_RATE_PER_ADDRESS = "3/hour"
    settings.PORTAL_PASSWORD_RESET_RATE_PER_EMAIL = "2/hour"


def test_requests_from_one_address_are_limited(client, make_account, limits):
    accounts = [make_account() for _ in range(4)]
    statuses = [ask(client, account.email).status_code for account in accounts]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3  # the refused one sent nothing
    refused = ask(client, accounts[3].email).content.decode()
    assert "Too many reset links were asked for from your network" in refused
    assert "You can ask again after" in refused
    # Another client address is not affected.
    assert ask(client, accounts[3].email, address="10.2.2.2").status_code == 302
    assert len(mail.outbox) == 4


def test_requests_for_one_email_are_limited_from_any_address(client, active_user, limits):
    statuses = [ask(client, active_user.email, address=f"10.3.3.{n}").status_code
                for n in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_the_email_limit_is_the_same_whether_or_not_an_account_has_it(
    client, active_user, limits
):
    def refusal_for(email: str) -> tuple[int, str]:
        for n in range(2):
            ask(client, email, address=f"10.4.{n}.1")
        response = ask(client, email, address="10.4.9.9")
        page = re.sub(r'value="[A-Za-z0-9]{64}"', "TOKEN", response.content.decode())
        return response.status_code, page.replace(email, "EMAIL")

    known = refusal_for(active_user.email)
    unknown = refusal_for("nobody-here@example.invalid")
    assert known[0] == unknown[0] == 429
    assert "If an account has this address" in known[1]
    assert known[1] == unknown[1]


def test_the_email_limit_ignores_case_and_spaces(client, active_user, limits):
    for n, spelling in enumerate([active_user.email, active_user.email.upper()]):
        assert ask(client, spelling, address=f"10.5.5.{n}").status_code == 302
    assert ask(client, f"  {active_user.email.title()} ", address="10.5.5.9").status_code == 429


def test_an_invalid_form_is_not_counted(client, active_user, limits):
    for _ in range(5):
        assert ask(client, "not an email").status_code == 200
    assert ask(client, active_user.email).status_code == 302


def test_a_request_for_an_unknown_email_looks_like_one_for_a_known_email(client, active_user):
    known = ask(client, active_user.email)
    unknown = ask(client, "nobody-here@example.invalid", address="10.6.6.6")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1
