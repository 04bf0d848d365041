"""Staff sign-in for journeys that open identity images: password, then the code
from the staff member's authenticator (identity images need it in the session)."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


def authenticator_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def staff_sign_in_with_code(page, live_server, user, password: str = PASSWORD) -> None:
    """Sign ``user`` in to admin through the real forms, giving them an authenticator."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "authenticator"})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/security/two-step/verify/**")
    page.fill("input[name=code]", authenticator_code(device))
    page.click("[data-testid=two-step-verify-form] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
