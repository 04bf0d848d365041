"""The owner's language: kept on the account, used on every device, in notices (rendered
in the reader's language when shown) and in email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import Hold, Notice, StatusEvent
from accounts.tasks import notify_email_notice, notify_hold_change
from tests.conftest import PASSWORD
from tests.verification.conftest import in_review, make_request  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def notices_page(client) -> str:
    return client.get(reverse("accounts:notices")).content.decode()


def test_a_notice_is_shown_in_the_language_of_whoever_reads_it(client, active_user, place_hold):
    hold = place_hold(active_user, "content_violation")
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_PLACED, hold.pk)
    notice = Notice.objects.get(account=active_user)
    assert notice.title == "你的账号有新的限制：内容违反社区规范"  # written in the owner's language
    client.force_login(active_user)
    assert "你的账号有新的限制" in notices_page(client)
    client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    page = notices_page(client)
    assert "New limit on your account: Content that breaks the community rules" in page
    assert "你的账号有新的限制" not in page


def test_the_chosen_language_follows_the_account_to_another_device(active_user):
    phone = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    phone.post(reverse("login"), {"username": active_user.username, "password": PASSWORD})
    phone.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    laptop = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")  # a browser that asks for Chinese
    laptop.post(reverse("login"), {"username": active_user.username, "password": PASSWORD})
    response = laptop.get(reverse("accounts:status"))
    assert '<html lang="en">' in response.content.decode()
    assert laptop.cookies["django_language"].value == "en"  # pages before sign-in follow


def test_an_unchosen_language_follows_the_browser_and_is_kept_for_notices(active_user):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.post(reverse("login"), {"username": active_user.username, "password": PASSWORD})
    assert '<html lang="en">' in browser.get(reverse("accounts:status")).content.decode()
    active_user.refresh_from_db()
    assert active_user.language == "en" and active_user.language_chosen_at is None


def test_email_goes_out_in_the_owners_language_at_sending_time(active_user, place_hold):
    hold = place_hold(active_user, "suspicious_signin")
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_PLACED, hold.pk)
    services.account_set_language(account=active_user, language="en")
    with translation.override("zh-hans"):  # the worker's own language
        notify_email_notice(Notice.objects.get(account=active_user).pk)
    assert mail.outbox[0].subject == "New limit on your account: Suspicious sign-in"
    assert "Blocked: Sign in to the app" in mail.outbox[0].body


def test_the_lifted_notice_says_what_works_again_not_why_it_was_placed(active_user,
                                                                       place_hold):
    active_user.language = "en"
    active_user.save(update_fields=["language"])
    hold = place_hold(active_user, "content_violation")
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_LIFTED, hold.pk)
    notice = Notice.objects.get(account=active_user)
    assert notice.title == "Limit lifted: Content that breaks the community rules"
    assert "Publish posts and videos" in notice.body
    assert str(hold.catalog.explanation) not in notice.body


def test_a_staff_message_is_shown_as_written(client, active_user):
    services.notice_send(account=active_user, title="Plain title", body="工作人员写的话",
                         email=False)
    client.force_login(active_user)
    client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    assert "工作人员写的话" in notices_page(client)


def test_an_api_call_that_carries_a_signed_in_session_is_still_answered(active_user):
    """The API's user is its service client: the language middleware leaves it alone."""
    from accounts.api import services as api_services

    _client, key = api_services.service_client_create(name="risk", scopes=["status:read"],
                                                      acting_user=None)
    browser = Client()
    browser.post(reverse("login"), {"username": active_user.username, "password": PASSWORD})
    browser.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    response = browser.get(f"/api/v1/accounts/{active_user.platform_account_id}/status",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_a_verification_notice_follows_the_readers_language_too(
        client, make_account, in_review, reviewer):  # noqa: F811  (a fixture)
    from verification import services as verification_services

    owner = make_account(language="zh-hans")
    request = in_review(owner)
    verification_services.verification_claim(request=request, acting_user=reviewer)
    verification_services.verification_approve(request=request, acting_user=reviewer)
    notice = Notice.objects.get(account=owner, url__contains="/verification/")
    assert notice.title == "你的实名认证已通过"
    client.force_login(owner)
    client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    assert "Your real-name verification was approved" in notices_page(client)
