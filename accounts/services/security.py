"""The owner's account security: sign-ins, sessions, securing the account after a
hold, two-step verification (django-otp) and the checklist after a security hold.

"Secure the account" (a remedy of the security holds) means, concretely
(docs/owner-journeys.md): the password was changed after the hold was placed
(skipped for an account without a password, which signs in through the
platform), every other session is signed out, and the owner confirmed they
reviewed the recent sign-ins. ``account_secure`` checks the first, does the
second, records the third, and writes one ``account_secured`` event.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import Account, AccountSession, Hold, SignInRecord, StatusEvent
from .events import event_record
from .status import _lock_account

Kind = StatusEvent.Kind
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


# ---------------------------------------------------------------------------
# Sign-ins and sessions
# ---------------------------------------------------------------------------
def signin_record(
    *, account: Account, device: str, user_agent: str, address: str | None,
    now: datetime | None = None,
) -> SignInRecord:
    """Keep one successful sign-in (its own table: the timeline is not a log of sign-ins)."""
    return SignInRecord.objects.create(
        account=account, at=now or timezone.now(), device=device[:120],
        user_agent=user_agent[:400], ip_address=address or None,
    )


@transaction.atomic
def sessions_end_others(*, account: Account, keep_session_key: str | None) -> int:
    """Sign ``account`` out of every session but ``keep_session_key``. Return how many."""
    _lock_account(account)
    ended, _by_model = (AccountSession.objects.filter(account=account)
                        .exclude(session_key=keep_session_key or "").delete())
    event_record(account=account, kind=Kind.SESSIONS_ENDED, acting_user=account,
                 data={"ended": ended})
    return ended


def password_changed_since(account: Account, moment: datetime) -> datetime | None:
    """When the password was last changed after ``moment`` (None if it was not)."""
    return (StatusEvent.objects.filter(account=account, kind=Kind.PASSWORD_CHANGED, at__gt=moment)
            .order_by("-at").values_list("at", flat=True).first())


@transaction.atomic
def account_secure(
    *, account: Account, hold: Hold, keep_session_key: str | None, reviewed_sign_ins: bool,
    now: datetime | None = None,
) -> StatusEvent:
    """Record that the owner secured the account after ``hold`` (see the module doc)."""
    now = now or timezone.now()
    account = _lock_account(account)
    if hold.account_id != account.pk:
        raise ValidationError(_("This limit is not on your account."), code="not_your_hold")
    if not reviewed_sign_ins:
        raise ValidationError(
            _("Look through your recent sign-ins and tick the box to say you did."),
            code="sign_ins_not_reviewed")
    changed_at = None
    if account.has_usable_password():
        changed_at = password_changed_since(account, hold.placed_at)
        if changed_at is None:
            raise ValidationError(
                _("Change your password first: it must be changed after the limit was placed."),
                code="password_not_changed")
    ended, _by_model = (AccountSession.objects.filter(account=account)
                        .exclude(session_key=keep_session_key or "").delete())
    return event_record(
        account=account, kind=Kind.ACCOUNT_SECURED, acting_user=account, hold=hold,
        data={"password_changed_at": changed_at.isoformat() if changed_at else None,
              "sessions_ended": ended},
    )


def security_checklist_done(*, account: Account) -> StatusEvent:
    """The owner finished (or dismissed) the checklist shown after a security hold."""
    return event_record(account=account, kind=Kind.SECURITY_CHECKLIST_DONE, acting_user=account)


# ---------------------------------------------------------------------------
# Two-step verification (TOTP, with single-use recovery codes)
# ---------------------------------------------------------------------------
def two_step_device(account: Account) -> TOTPDevice | None:
    """The account's confirmed authenticator, or None."""
    return TOTPDevice.objects.devices_for_user(account, confirmed=True).first()


@transaction.atomic
def two_step_setup_start(*, account: Account) -> TOTPDevice:
    """Make a new unconfirmed authenticator (a fresh secret) for the setup page."""
    _lock_account(account)
    if two_step_device(account) is not None:
        raise ValidationError(_("Two-step verification is already on."), code="already_on")
    TOTPDevice.objects.filter(user=account, confirmed=False).delete()
    return TOTPDevice.objects.create(user=account, name=TOTP_NAME, confirmed=False)


def pending_device(account: Account) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=account, confirmed=False).order_by("-pk").first()


def two_step_confirm(*, account: Account, token: str) -> list[str]:
    """Turn two-step verification on with a first code from the app; return recovery codes."""
    with transaction.atomic():  # a wrong code's throttle count is kept: raise after commit
        _lock_account(account)
        device = (TOTPDevice.objects.select_for_update()
                  .filter(user=account, confirmed=False).order_by("-pk").first())
        if device is None:
            raise ValidationError(_("Start the set-up again: scan the new code."),
                                  code="no_setup")
        error = _totp_error(device, token)
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_make(account)
            event_record(account=account, kind=Kind.TWO_STEP_ENABLED, acting_user=account)
    if error is not None:
        raise error
    return codes


def recovery_codes_renew(*, account: Account, token: str) -> list[str]:
    """Replace the recovery codes (a current code from the app proves it is the owner)."""
    with transaction.atomic():
        _lock_account(account)
        error = _totp_error(_confirmed_device_locked(account), token)
        if error is None:
            codes = _recovery_codes_make(account)
            event_record(account=account, kind=Kind.RECOVERY_CODES_RENEWED, acting_user=account)
    if error is not None:
        raise error
    return codes


def two_step_disable(*, account: Account, token: str) -> None:
    """Turn two-step verification off (a code from the app or a recovery code)."""
    two_step_check(account=account, token=token)
    with transaction.atomic():
        _lock_account(account)
        TOTPDevice.objects.filter(user=account).delete()
        StaticDevice.objects.filter(user=account).delete()
        event_record(account=account, kind=Kind.TWO_STEP_DISABLED, acting_user=account)


def two_step_check(*, account: Account, token: str):
    """Accept a code from the authenticator app or one recovery code; return the device.

    A code already used (the same or an earlier time step) is refused as
    such, and that refusal writes nothing; a wrong code counts towards
    django-otp's throttling (kept: the error is raised after the commit).
    """
    token = "".join((token or "").split()).lower()
    if not token:
        raise ValidationError(_("Enter the code."), code="empty")
    with transaction.atomic():
        device = _confirmed_device_locked(account)
        if token.isdigit():
            error = _totp_error(device, token)
        else:
            device = StaticDevice.objects.select_for_update().filter(user=account).first()
            error = None
            if device is None or not _allowed(device) or not device.verify_token(token):
                error = ValidationError(
                    _("That recovery code is not valid or was already used."),
                    code="bad_recovery_code")
    if error is not None:
        raise error
    return device


def staff_two_step_check(*, account: Account, token: str) -> TOTPDevice:
    """Accept a current code from the staff member's authenticator app (no recovery code).

    Before identity images are served. A code already used is refused as
    such and writes nothing (not even a throttle count).
    """
    with transaction.atomic():
        device = _confirmed_device_locked(account)
        error = _totp_error(device, token)
    if error is not None:
        raise error
    return device


def _confirmed_device_locked(account: Account) -> TOTPDevice:
    device = (TOTPDevice.objects.select_for_update()
              .filter(user=account, confirmed=True).first())
    if device is None:
        raise ValidationError(_("Two-step verification is not on."), code="not_on")
    return device


def _allowed(device) -> bool:
    allowed, _info = device.verify_is_allowed()
    return allowed


def _totp_error(device: TOTPDevice, token: str) -> ValidationError | None:
    """Check ``token`` against ``device``; return why it is refused, or None (accepted)."""
    token = "".join((token or "").split())
    if not token.isdigit() or len(token) != device.digits:
        return ValidationError(_("Enter the %(n)d digits your authenticator app shows."),
                               code="bad_format", params={"n": device.digits})
    if not _allowed(device):
        return ValidationError(
            _("Too many wrong codes. Wait a little, then enter the newest code."),
            code="throttled")
    if _is_replay(device, int(token)):
        return ValidationError(
            _("This code was already used. Wait for the next code in your app."),
            code="code_replayed")
    if not device.verify_token(token):  # counts the failure (throttling) when wrong
        return ValidationError(_("That code is not right. Check the time on your phone and "
                                 "enter the newest code."), code="bad_code")
    return None


def _is_replay(device: TOTPDevice, token: int) -> bool:
    """Whether ``token`` is a valid code of a time step already used (django-otp's
    ``last_t`` refuses it; said here first so the owner learns why)."""
    if device.last_t < 0:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.time
    for offset in range(-device.tolerance, device.tolerance + 1):
        totp.time = now + offset * device.step
        if totp.t() <= device.last_t and totp.token() == token:
            return True
    return False


def _recovery_codes_make(account: Account) -> list[str]:
    StaticDevice.objects.filter(user=account).delete()
    device = StaticDevice.objects.create(user=account, name=RECOVERY_NAME)
    codes = [StaticToken.random_token() for _i in range(settings.PORTAL_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
