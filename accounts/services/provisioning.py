"""Accounts the host platform creates and keeps up to date.

An account made here has no usable password: its owner arrives from the app
(a hand-off link) or through the platform's OIDC. Creation is race-safe: two
concurrent calls for one platform id make one account (the unique index
decides, the loser finds the winner's row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Account, Hold, StatusEvent
from .events import event_record
from .holds import hold_place

Kind = StatusEvent.Kind

# Printable, URL- and cache-key-safe: letters, digits and ._:@+- (1–64).
PLATFORM_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,63}$")
# A masked phone number for display only: an optional country code, at most
# four digits each side of at least four asterisks ("138****5678").
PHONE_HINT = re.compile(r"^(\+\d{1,3} ?)?\d{0,4}\*{4,12}\d{0,4}$")
DISPLAY_NAME_MAX = 100
# Usernames of platform accounts live apart from staff and demo usernames.
USERNAME_SUFFIX = "@platform"

ERRORS = {
    "invalid_account_id": _(
        "A platform account id is 1–64 characters: letters, digits and . _ : @ + - "
        "(starting with a letter or digit)."
    ),
    "phone_not_masked": _(
        "The phone hint must be masked, for example 138****5678: at most four digits "
        "on each side of at least four asterisks. Never send the full number."
    ),
    "display_name_invalid": _(
        "The display name must be at most %(max)d characters, without control characters."
    ),
    "language_unknown": _("Unknown language “%(value)s”; use one of: %(choices)s."),
    "email_invalid": _("Enter a valid email address."),
    "username_taken": _("Another account already uses this account's username."),
}


@dataclass(frozen=True)
class Provisioned:
    account: Account
    created: bool


def _error(code: str, **params: Any) -> ValidationError:
    return ValidationError(ERRORS[code], code=code, params=params or None)


def platform_account_id_validate(value: str) -> str:
    """Return ``value`` if it is a well-formed platform account id, else raise."""
    if not isinstance(value, str) or not PLATFORM_ACCOUNT_ID.match(value):
        raise _error("invalid_account_id")
    return value


def profile_validate(profile: dict[str, Any]) -> dict[str, str]:
    """Return the profile with each field checked; raise one error per bad field."""
    errors: dict[str, list[ValidationError]] = {}
    clean: dict[str, str] = {}
    for name, check in (
        ("display_name", _display_name), ("language", _language),
        ("email", _email), ("phone_hint", _phone_hint),
    ):
        if name not in profile:
            continue
        try:
            clean[name] = check(profile[name])
        except ValidationError as error:
            errors[name] = [error]
    if errors:
        raise ValidationError(errors)
    return clean


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else value


def _display_name(value: Any) -> str:
    value = _text(value)
    if (
        not isinstance(value, str) or len(value) > DISPLAY_NAME_MAX
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise _error("display_name_invalid", max=DISPLAY_NAME_MAX)
    return value


def _language(value: Any) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise _error("language_unknown", value=str(value)[:20], choices=", ".join(codes))
    return value


def _email(value: Any) -> str:
    value = _text(value)
    if value == "":
        return ""
    if not isinstance(value, str) or len(value) > 254:
        raise _error("email_invalid")
    try:
        validate_email(value)
    except ValidationError:
        raise _error("email_invalid") from None
    return value


def _phone_hint(value: Any) -> str:
    value = _text(value)
    if value == "":
        return ""
    if not isinstance(value, str) or not PHONE_HINT.match(value):
        raise _error("phone_not_masked")
    return value


# ---------------------------------------------------------------------------
# Creating and updating
# ---------------------------------------------------------------------------
@transaction.atomic
def account_provision(
    *, platform_account_id: str, profile: dict[str, Any], acting_client_id: int | None,
    via: str = "api",
) -> Provisioned:
    """Create the account with this platform id, or update its profile.

    Idempotent: the same profile twice changes nothing the second time (no
    event). ``via`` says what created it (``api``, ``hold``, ``oidc``) in the
    provisioning event.
    """
    clean = profile_validate(profile)
    account, created = _lock_or_create(
        platform_account_id, clean, acting_client_id=acting_client_id, via=via
    )
    if not created:
        _profile_update(account, clean, acting_client_id=acting_client_id)
    return Provisioned(account=account, created=created)


@transaction.atomic
def hold_place_on_platform_account(
    *, platform_account_id: str, acting_client_id: int | None, **hold: Any
) -> Hold:
    """Place a hold on the account with this platform id, creating the account if new.

    One transaction: a hold that is refused creates no account either.
    """
    account, _created = _lock_or_create(
        platform_account_id, {}, acting_client_id=acting_client_id, via="hold"
    )
    return hold_place(account=account, acting_user=None, source=Hold.Source.API, **hold)


def _lock_or_create(
    platform_account_id: str, profile: dict[str, str], *, acting_client_id: int | None, via: str
) -> tuple[Account, bool]:
    """Return the locked account with this platform id, creating it if there is none.

    Two concurrent creators both miss the first read; the unique index lets
    one insert and makes the other wait for its commit, fail, and lock the
    winner's row instead.
    """
    found = Account.objects.select_for_update().filter(
        platform_account_id=platform_account_id
    ).first()
    if found is not None:
        return found, False
    platform_account_id_validate(platform_account_id)
    try:
        with transaction.atomic():  # a savepoint: the insert may lose the race
            account = _create(platform_account_id, profile)
    except IntegrityError:
        winner = Account.objects.select_for_update().filter(
            platform_account_id=platform_account_id
        ).first()
        if winner is None:  # the username, not the platform id, collided
            raise _error("username_taken") from None
        return winner, False
    event_record(
        account=account, kind=Kind.ACCOUNT_PROVISIONED, acting_user=None,
        data={"via": via, "client": acting_client_id, "profile": profile},
    )
    return account, True


def _create(platform_account_id: str, profile: dict[str, str]) -> Account:
    account = Account(
        username=f"{platform_account_id}{USERNAME_SUFFIX}",
        platform_account_id=platform_account_id,
        **profile,
    )
    if "language" in profile:  # the app's language is the owner's choice, on every device
        account.language_chosen_at = timezone.now()
    account.set_unusable_password()  # owners arrive by hand-off or OIDC only
    account.save()
    return account


def _profile_update(account: Account, profile: dict[str, str], *, acting_client_id) -> None:
    changes = {
        name: [getattr(account, name), value]
        for name, value in profile.items()
        if getattr(account, name) != value
    }
    if not changes:
        return
    for name, (_old, new) in changes.items():
        setattr(account, name, new)
    fields = list(changes)
    if "language" in changes:  # the app's language is the owner's choice, on every device
        account.language_chosen_at = timezone.now()
        fields.append("language_chosen_at")
    account.save(update_fields=fields)
    event_record(
        account=account, kind=Kind.PROFILE_UPDATED, acting_user=None,
        data={"client": acting_client_id, "changes": changes},
    )

