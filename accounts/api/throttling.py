"""Per-client rate limit of the API: a fixed-window counter per API key.

The counter is counted in Redis in the same round trip that fetches the
client's cached key record (and, for "may", the account's status): the
limit costs the hot path an INCR and an EXPIRE pipelined with its MGET,
never a round trip of its own (``accounts.auth.client_for_key``). The DRF
throttle below and the "may" fast path both read that count, so both paths
answer the same 429 from the same counter.

The counter is keyed on a digest of the whole key, never on its public
prefix, so nobody can spend another client's budget with forged keys.
Without a Redis cache (the embedded run), or if Redis fails, the count is
kept in Django's cache instead; if that fails too the request is let
through: an outage of the limiter must not become an outage of the API.

The rate is ``PORTAL_API_RATE_PER_CLIENT`` (``"<n>/<period>"``, period
second, minute, hour or day, as DRF writes rates); empty turns the limit off.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.cache import redis_client

logger = logging.getLogger(__name__)
COUNTER_PREFIX = "portal:throttle:"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Window:
    """The current counting window of one client."""

    counter: str  # the Redis (or Django cache) key of the count
    limit: int
    seconds: int
    resets_in: float  # seconds until the window ends

    @property
    def ttl(self) -> int:
        return self.seconds + 1  # outlives its window by a second: clocks differ a little


@lru_cache(maxsize=8)
def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """Return ``(requests, seconds)`` of a rate such as ``"600/minute"``, or None."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0]]


def client_window(ident: str, now: float | None = None) -> Window | None:
    """Return the window ``ident`` (a key digest) counts in now, or None if unlimited."""
    parsed = parse_rate(settings.PORTAL_API_RATE_PER_CLIENT)
    if parsed is None:
        return None
    limit, seconds = parsed
    index, offset = divmod(time.time() if now is None else now, seconds)
    return Window(counter=f"{COUNTER_PREFIX}{ident}:{seconds}:{int(index)}", limit=limit,
                  seconds=seconds, resets_in=seconds - offset)


def client_ident(key_digest: str) -> str:
    return key_digest[:32]


def count_record(request, ident: str, window: Window, count: int) -> None:
    """Leave a count taken in Redis on the (Django) request for the checks below."""
    getattr(request, "_request", request)._portal_throttle = (ident, window, count)


def counted(request, ident: str) -> tuple[Window, int] | None:
    """Return the window and count this request was already counted in, if it was."""
    found = getattr(getattr(request, "_request", request), "_portal_throttle", None)
    if found is not None and found[0] == ident:
        return found[1], found[2]
    return None


def count_forget(request, ident: str) -> None:
    """Drop the counter a request with an invalid key just created (best effort)."""
    found = counted(request, ident)
    if found is None or found[1] != 1:
        return
    try:
        cache_client = redis_client()
        if cache_client is not None:
            cache_client.delete(found[0].counter)
        else:
            cache.delete(found[0].counter)
    except Exception:  # noqa: BLE001 - it expires with its window anyway
        logger.warning("Could not drop a throttle counter", exc_info=True)


def client_wait(request, key_digest: str) -> float | None:
    """Count the request if not yet counted; return seconds to wait if over the limit."""
    ident = client_ident(key_digest)
    found = counted(request, ident) or _count_in_django_cache(request, ident)
    if found is None:
        return None
    window, count = found
    return window.resets_in if count > window.limit else None


def _count_in_django_cache(request, ident: str) -> tuple[Window, int] | None:
    window = client_window(ident)
    if window is None:
        return None
    try:
        cache.add(window.counter, 0, timeout=window.ttl)
        count = cache.incr(window.counter)
    except ValueError:  # expired between add and incr
        cache.set(window.counter, count := 1, timeout=window.ttl)
    except Exception:  # noqa: BLE001 - any cache failure: let the request through
        logger.warning("API throttle count failed; not limiting this request", exc_info=True)
        return None
    count_record(request, ident, window, count)
    return window, count


class ClientRateThrottle(BaseThrottle):
    """DRF's throttle for API views: the authenticated client's window."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request, view) -> bool:
        from .auth import Principal

        client = request.auth
        if not isinstance(client, Principal):
            return True  # authentication and permissions have answered already
        self._wait = client_wait(request, client.key_hash)
        return self._wait is None

    def wait(self) -> float | None:
        return None if self._wait is None else math.ceil(self._wait)
