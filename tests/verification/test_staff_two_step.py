"""Identity images need the staff member's authenticator code in this session
(issue 12, item 8); a replayed code is a clear error and writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import StatusEvent


def _image_url(vr) -> str:
    return reverse("verification:staff_image", args=[vr.images.get(kind="front").pk])


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def with_authenticator(reviewer):
    """The reviewer's confirmed authenticator and their recovery codes."""
    reviewer.language = "en"
    reviewer.save(update_fields=["language"])
    device = account_services.two_step_setup_start(account=reviewer)
    codes = account_services.two_step_confirm(account=reviewer, token=_code(device))
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the set-up code is spent
    device.refresh_from_db()
    return device, codes


def _sign_in(client, user, code: str):
    """Sign in (the second step asks for a code, as for any account with two-step)."""
    client.force_login(user)
    return client.post(reverse("accounts:two_step_verify"), {"code": code})


def test_without_an_authenticator_the_image_is_not_served_and_setup_is_offered(
        in_review, reviewer, client):
    vr = in_review()
    client.force_login(reviewer)
    answer = client.get(_image_url(vr))
    assert answer.status_code == 302 and answer.url.startswith(
        reverse("accounts:staff_two_step"))
    page = client.get(answer.url)
    assert page.status_code == 403
    assert 'data-testid="staff-two-step-setup"' in page.content.decode()
    assert reverse("accounts:two_step_setup") in page.content.decode()
    assert not StatusEvent.objects.filter(kind__in=["id_image_opened", "id_images_viewed"])\
        .exists()


def test_a_recovery_code_sign_in_is_asked_for_the_app_code_before_images(
        in_review, reviewer, client, with_authenticator):
    vr = in_review()
    device, codes = with_authenticator
    _sign_in(client, reviewer, codes[0])  # signed in, but not with the app
    url = _image_url(vr)
    answer = client.get(url)
    assert answer.status_code == 302 and answer.url.startswith(
        reverse("accounts:staff_two_step"))
    case_page = client.get(reverse("admin:verification_verificationrequest_change",
                                   args=[vr.pk])).content.decode()
    assert 'data-testid="two-step-link"' in case_page and url not in case_page
    recovery = client.post(reverse("accounts:staff_two_step"), {"code": codes[1]})
    assert recovery.status_code == 400  # a recovery code does not count here
    sent = client.post(f"{reverse('accounts:staff_two_step')}?next={url}",
                       {"code": _code(device)})
    assert sent.status_code == 302 and sent.url == url
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert StatusEvent.objects.filter(kind="id_image_opened").count() == 1


def test_signing_in_with_the_app_code_opens_images_for_that_session_only(
        in_review, reviewer, client, with_authenticator):
    vr = in_review()
    device, _codes = with_authenticator
    _sign_in(client, reviewer, _code(device))
    assert client.get(_image_url(vr)).status_code == 200
    client.logout()
    client.force_login(reviewer)  # a new session asks again
    assert client.get(_image_url(vr)).status_code == 302


def test_a_replayed_code_is_a_clear_error_and_writes_nothing(in_review, reviewer, client,
                                                             with_authenticator, settings):
    vr = in_review()
    device, codes = with_authenticator
    code = _code(device)
    _sign_in(client, reviewer, code)
    client.logout()  # (which forgets the cookies too)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _sign_in(client, reviewer, codes[0])
    device.refresh_from_db()
    before = (device.last_t, device.throttling_failure_count, StatusEvent.objects.count())
    again = client.post(reverse("accounts:staff_two_step"), {"code": code})
    assert again.status_code == 400
    assert "This code was already used" in again.content.decode()
    device.refresh_from_db()
    assert (device.last_t, device.throttling_failure_count,
            StatusEvent.objects.count()) == before
    assert client.get(_image_url(vr)).status_code == 302
