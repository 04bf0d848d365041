"""Sign-in protection: who the client is, how long a lockout lasts, and how
often a password reset may be asked for.

The client's address decides whose failures count together (django-axes
locks a username *from one address*), so it must be the real client's even
behind the TLS proxy production runs behind, and one a client cannot forge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from ipware import get_client_ip

RESET_SCOPE = "portal:ratelimit:password-reset"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# ---------------------------------------------------------------------------
# The client's address (AXES_CLIENT_IP_CALLABLE)
# ---------------------------------------------------------------------------
def client_address(request: HttpRequest) -> str | None:
    """Return the address of the client that sent ``request``.

    Each of the ``PORTAL_TRUSTED_PROXY_COUNT`` proxies in front of the portal
    appends the address it received the request from to X-Forwarded-For, so
    the client is that many entries from the right; whatever stands further
    left was written by the client and is ignored. Without proxies, or on a
    request that did not pass through them (no header), the client is the
    peer of the connection, REMOTE_ADDR.
    """
    proxies = settings.PORTAL_TRUSTED_PROXY_COUNT
    if proxies and request.META.get("HTTP_X_FORWARDED_FOR"):
        # ipware counts the proxies *between* client and the last proxy, whose
        # own address is REMOTE_ADDR, not a header entry: hence ``proxies - 1``.
        # Not strict: junk the client put in front must not void the header.
        address, _routable = get_client_ip(
            request, proxy_count=proxies - 1, request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address is not None:
            return address
    return request.META.get("REMOTE_ADDR") or None


# ---------------------------------------------------------------------------
# Lockouts (django-axes' records)
# ---------------------------------------------------------------------------
def lockout_ends_at(username: str | None, address: str | None) -> datetime | None:
    """Return when the lockout of ``username`` from ``address`` ends.

    Axes counts failures within the cool-off period before the newest one,
    and (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``) records no
    new ones while locked out, so the pause ends one cool-off after the last
    recorded failure.
    """
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time"))["last"]
    return last + settings.AXES_COOLOFF_TIME if last else None


def lockout_clear(username: str) -> None:
    """End every lockout of ``username``, from every address (after a password reset)."""
    from axes.utils import reset

    reset(username=username)


# ---------------------------------------------------------------------------
# Password reset requests: per client address and per email address
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """A reset request over a limit: which one, and when asking works again."""

    limit: str  # "address" or "email"
    retry_at: datetime


def password_reset_refusal(request: HttpRequest, email: str) -> Refusal | None:
    """Count a reset request; return a refusal if it is over a limit, else None.

    The email's count does not depend on whether an account has it, so the
    answer tells nothing about which addresses are registered.
    """
    address = client_address(request) or "unknown"
    retry_at = _hit("address", address, settings.PORTAL_PASSWORD_RESET_RATE_PER_ADDRESS)
    if retry_at is not None:
        return Refusal("address", retry_at)
    normalized = email.strip().casefold()
    retry_at = _hit("email", normalized, settings.PORTAL_PASSWORD_RESET_RATE_PER_EMAIL)
    if retry_at is not None:
        return Refusal("email", retry_at)
    return None


def _hit(kind: str, ident: str, rate: str) -> datetime | None:
    """Count one request in a fixed window; return when it reopens if over the limit."""
    limit, seconds = _parse_rate(rate)
    now = timezone.now()
    index, offset = divmod(now.timestamp(), seconds)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no emails in cache keys
    key = f"{RESET_SCOPE}:{kind}:{digest}:{int(index)}"
    if cache.add(key, 1, timeout=seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired in between: this request opens the next window
            cache.set(key, count := 1, timeout=seconds + 1)
    return now + timedelta(seconds=seconds - offset) if count > limit else None


def _parse_rate(rate: str) -> tuple[int, int]:
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0]]
