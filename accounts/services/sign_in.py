"""Signing owners in from the platform: hand-off links and OIDC sign-ins.

A hand-off link is a random token (256 bits) of which only the SHA-256
digest is stored. It works once (claimed by a conditional UPDATE, so two
tabs opening it at the same instant sign in once), for a few minutes, and
lands on a portal path checked against an allow-list when it was issued.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Account, SignInLink, StatusEvent
from .events import event_record

Kind = StatusEvent.Kind
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
NEXT_MAX = 200
# Where a link may land, by URL name; a route with a model there must name
# an object of the link's own account (one appeal, one hold).
NEXT_ROUTES: dict[str, tuple[str, str] | None] = {
    "accounts:status": None,
    "accounts:hold": ("accounts", "Hold"),
    "verification:start": None,
    "appeals:detail": ("appeals", "Appeal"),
}

ERRORS = {
    "next_not_allowed": _(
        "“next” must be a path of this portal: the status page (/), a hold of this "
        "account (/holds/<id>/), verification (/verification/) or one of its appeals "
        "(/appeals/<id>/)."
    ),
    "account_closed": _("This account is closed; it cannot be signed in."),
    "staff_account": _("Staff accounts sign in with their own password, never from the app."),
}


def sign_in_eligibility_check(account: Account) -> None:
    """Raise unless the platform may sign ``account`` in (an active owner, not staff).

    Staff accounts are refused so a platform can never open a staff session.
    """
    if not account.is_active:
        raise ValidationError(ERRORS["account_closed"], code="account_closed")
    if account.is_staff or account.is_superuser:
        raise ValidationError(ERRORS["staff_account"], code="staff_account")


@dataclass(frozen=True)
class IssuedLink:
    link: SignInLink
    token: str  # in full, returned once to the client that asked


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in_next_validate(*, account: Account, next_path: str | None) -> str:
    """Return the portal path a link may land on, or raise ``next_not_allowed``.

    Never an open redirect: only paths (no scheme, host, query or fragment)
    that resolve to an allowed route of this portal, owned by ``account``.
    """
    if next_path in (None, ""):
        return reverse("accounts:status")
    refused = ValidationError(ERRORS["next_not_allowed"], code="next_not_allowed")
    if (
        not isinstance(next_path, str) or len(next_path) > NEXT_MAX
        or not next_path.startswith("/") or next_path.startswith("//")
        or any(c == "\\" or ord(c) <= 32 or ord(c) == 127 for c in next_path)
    ):
        raise refused
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        raise refused
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise refused from None
    if match.view_name not in NEXT_ROUTES:
        raise refused
    owned = NEXT_ROUTES[match.view_name]
    if owned and not apps.get_model(*owned).objects.filter(
        pk=match.kwargs.get("pk"), account=account
    ).exists():
        raise refused
    return parts.path


def sign_in_link_issue(
    *, account: Account, next_path: str | None, issued_by_id: int | None,
    now: datetime | None = None,
) -> IssuedLink:
    """Issue a single-use sign-in link for ``account``; return it with its token."""
    sign_in_eligibility_check(account)
    path = sign_in_next_validate(account=account, next_path=next_path)
    now = now or timezone.now()
    ttl = timedelta(seconds=settings.PORTAL_SIGN_IN_LINK_TTL_SECONDS)
    token = secrets.token_urlsafe(32)
    link = SignInLink.objects.create(
        account=account, token_hash=_digest(token), next_path=path, issued_by_id=issued_by_id,
        created_at=now, expires_at=now + ttl,
    )
    return IssuedLink(link=link, token=token)


def sign_in_link_find(token: str, *, now: datetime | None = None) -> SignInLink | None:
    """Return the usable link for ``token`` without using it (the "Continue" page)."""
    if not TOKEN.match(token or ""):
        return None
    return (
        SignInLink.objects.select_related("account")
        .filter(token_hash=_digest(token), used_at__isnull=True,
                expires_at__gt=now or timezone.now(), account__is_active=True,
                account__is_staff=False, account__is_superuser=False)
        .first()
    )


@transaction.atomic
def sign_in_link_consume(token: str, *, now: datetime | None = None) -> SignInLink | None:
    """Use the link for ``token`` once; return it, or None if it cannot sign anyone in.

    The claim is one UPDATE conditioned on the link's own columns, so of two
    requests racing with one link exactly one changes the row. (A condition
    through a join would be checked against the old snapshot by the loser.)
    """
    if not TOKEN.match(token or ""):
        return None
    now = now or timezone.now()
    digest = _digest(token)
    claimed = SignInLink.objects.filter(
        token_hash=digest, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        return None
    link = SignInLink.objects.select_related("account").get(token_hash=digest)
    try:
        sign_in_eligibility_check(link.account)
    except ValidationError:
        return None  # closed (or made staff) since it was issued: used up, signs nobody in
    event_record(
        account=link.account, kind=Kind.SIGNED_IN_FROM_APP, acting_user=link.account,
        data={"link": link.pk, "client": link.issued_by_id, "next": link.next_path},
    )
    return link


def account_signed_in_with_platform(*, account: Account, subject: str) -> None:
    """Record a sign-in through the platform's OIDC provider."""
    event_record(
        account=account, kind=Kind.SIGNED_IN_WITH_PLATFORM, acting_user=account,
        data={"subject": subject},
    )
