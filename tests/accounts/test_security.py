"""Account security after a freeze: sign-ins recorded, sessions listed and ended, the
account secured, two-step verification (django-otp TOTP and recovery codes), the
checklist after a security hold."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AccountSession, Hold, SignInRecord, StatusEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PHONE = ("Mozilla/5.0 (Linux; Android 13; SM-S9180) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0 Mobile Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1")


def sign_in(client, account, *, agent=PHONE, address="203.0.113.7"):
    response = client.post(reverse("login"), {"username": account.username, "password": PASSWORD},
                           HTTP_USER_AGENT=agent, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.content[:500]
    return response


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def test_a_sign_in_is_recorded_with_device_and_address_and_shown(client, frozen_user):
    sign_in(client, frozen_user)
    record = SignInRecord.objects.get(account=frozen_user)
    assert "Android" in record.device and "Chrome" in record.device
    assert record.ip_address == "203.0.113.7"
    session = AccountSession.objects.get(account=frozen_user)
    assert (session.device, session.ip_address) == (record.device, "203.0.113.7")
    page = client.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "203.0.113.7" in page and "This device" in page


def test_sign_out_everywhere_else_ends_the_other_sessions_only(frozen_user):
    phone, laptop = Client(), Client()
    sign_in(phone, frozen_user, agent=PHONE)
    sign_in(laptop, frozen_user, agent=IPHONE, address="198.51.100.4")
    assert AccountSession.objects.filter(account=frozen_user).count() == 2
    response = phone.post(reverse("accounts:sessions_end"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert phone.get(reverse("accounts:status")).status_code == 200
    assert laptop.get(reverse("accounts:status")).status_code == 302  # signed out
    event = StatusEvent.objects.get(account=frozen_user, kind="sessions_ended")
    assert event.data == {"ended": 1}


def test_securing_needs_a_password_changed_after_the_hold(client, frozen_user):
    hold = frozen_user.holds.get()
    with pytest.raises(ValidationError) as error:
        services.account_secure(account=frozen_user, hold=hold, keep_session_key=None,
                                reviewed_sign_ins=True)
    assert error.value.code == "password_not_changed"
    with pytest.raises(ValidationError) as error:
        services.account_secure(account=frozen_user, hold=hold, keep_session_key=None,
                                reviewed_sign_ins=False)
    assert error.value.code == "sign_ins_not_reviewed"
    assert not StatusEvent.objects.filter(kind="account_secured").exists()


def test_securing_after_a_password_change_signs_out_other_devices(frozen_user):
    phone, other = Client(), Client()
    sign_in(phone, frozen_user)
    sign_in(other, frozen_user, agent=IPHONE)
    hold = frozen_user.holds.get()
    response = phone.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a new Pa55word!",
        "new_password2": "a new Pa55word!"})
    assert response.status_code == 302
    response = phone.post(reverse("accounts:secure", args=[hold.pk]), {"reviewed": "on"})
    assert response.status_code == 302
    event = StatusEvent.objects.get(account=frozen_user, kind="account_secured")
    assert event.hold == hold and event.data["password_changed_at"]
    assert AccountSession.objects.filter(account=frozen_user).count() == 1
    assert other.get(reverse("accounts:status")).status_code == 302


def test_an_account_without_a_password_secures_by_the_checklist(client, make_account,
                                                                place_hold):
    account = make_account()
    account.set_unusable_password()
    account.save()
    hold = place_hold(account, "theft_risk")
    client.force_login(account)
    page = client.get(reverse("accounts:secure", args=[hold.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Not needed: you sign in through the app" in page.content.decode()
    assert client.post(reverse("accounts:secure", args=[hold.pk]),
                       {"reviewed": "on"}).status_code == 302
    assert StatusEvent.objects.filter(account=account, kind="account_secured").exists()


def _turn_on(client, account) -> tuple[TOTPDevice, list[str]]:
    client.force_login(account)
    page = client.get(reverse("accounts:two_step_setup"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "<svg" in page.content.decode()  # the QR code, inline
    device = TOTPDevice.objects.get(user=account, confirmed=False)
    response = client.post(reverse("accounts:two_step_setup"), {"code": code(device)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    codes = list(StaticToken.objects.filter(device__user=account)
                 .values_list("token", flat=True))
    assert len(codes) == 10 and all(c in response.content.decode() for c in codes)
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def test_turning_on_two_step_shows_recovery_codes_once(client, active_user):
    _turn_on(client, active_user)
    assert StatusEvent.objects.filter(account=active_user, kind="two_step_enabled").exists()
    page = client.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="two-step-on"' in page


def test_sign_in_asks_for_the_code_and_a_replayed_code_is_refused(active_user):
    setup = Client()
    device, _codes = _turn_on(setup, active_user)
    used = code(device)  # the code that turned it on is spent

    browser = Client()
    response = sign_in(browser, active_user)
    assert browser.get(reverse("accounts:status"))["Location"].startswith(
        reverse("accounts:two_step_verify"))
    device.refresh_from_db()
    before = (device.last_t, device.throttling_failure_count,
              StatusEvent.objects.count(), dict(browser.session))
    response = browser.post(reverse("accounts:two_step_verify"), {"code": used},
                            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This code was already used" in response.content.decode()
    device.refresh_from_db()
    after = (device.last_t, device.throttling_failure_count,
             StatusEvent.objects.count(), dict(browser.session))
    assert after == before  # nothing written
    assert browser.get(reverse("accounts:status")).status_code == 302  # still asks

    response = browser.post(reverse("accounts:two_step_verify"),
                            {"code": code(device, steps_ahead=1)})
    assert response.status_code == 302
    assert browser.get(reverse("accounts:status")).status_code == 200


def test_a_wrong_code_counts_towards_throttling(client, active_user):
    device, _codes = _turn_on(client, active_user)
    with pytest.raises(ValidationError) as error:
        services.two_step_check(account=active_user, token="000000" if code(device) != "000000"
                                else "111111")
    assert error.value.code == "bad_code"
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_recovery_code_works_once(client, active_user):
    _device, codes = _turn_on(client, active_user)
    assert services.two_step_check(account=active_user, token=codes[0].upper())
    with pytest.raises(ValidationError) as error:
        services.two_step_check(account=active_user, token=codes[0])
    assert error.value.code == "bad_recovery_code"


def test_turning_off_needs_a_code(client, active_user):
    device, _codes = _turn_on(client, active_user)
    response = client.post(reverse("accounts:two_step_disable"), {"code": "12"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and TOTPDevice.objects.filter(user=active_user).exists()
    response = client.post(reverse("accounts:two_step_disable"),
                           {"code": code(device, steps_ahead=1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=active_user).exists()


def test_the_checklist_follows_a_lifted_security_hold_until_done(client, frozen_user):
    hold = frozen_user.holds.get()
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    client.force_login(frozen_user)
    page = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="security-checklist"' in page
    assert page.count('data-testid="checklist-item" data-done="0"') == 3
    services.sessions_end_others(account=frozen_user,
                                 keep_session_key=client.session.session_key)
    page = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-done="1"') == 1
    client.post(reverse("accounts:checklist_done"))
    page = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="security-checklist"' not in page


def test_no_checklist_after_a_hold_that_is_not_about_security(client, restricted_user):
    services.hold_lift(hold=restricted_user.holds.get(), acting_user=None,
                       lift_reason=Hold.LiftReason.STAFF)
    client.force_login(restricted_user)
    page = client.get(reverse("accounts:status")).content.decode()
    assert 'data-testid="security-checklist"' not in page
