"""The status page, kept while nothing it shows has changed.

When a platform asks a million owners to act at once, each reloads the status
page, usually with nothing new to show. A reload then costs one query (the
fingerprint of every row the page shows, with the bell's count:
``selectors.status_page_fingerprint``) and one cache read instead of the
page's queries and rendering.

The key names the account, the language, the fingerprint, the bell's count,
the address (the language switch returns to it), and the CSRF secret the
page's forms were rendered for (their tokens stay valid). An entry is used
for at most ``PORTAL_STATUS_PAGE_CACHE_SECONDS`` after it was rendered, so
relative times ("in 2 days") and the expected waits, which read other
accounts' rows, are at most that old. A
request with messages to show is rendered, never kept. Freshness does not
depend on the cache being shared: an entry is used only when the fingerprint
read in this request matches, so a per-process cache (the embedded run) is as
correct as Redis. Any cache error is a miss.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation

logger = logging.getLogger(__name__)
KEY_PREFIX = "portal:status-page:v1:"


def lifetime() -> int:
    return settings.PORTAL_STATUS_PAGE_CACHE_SECONDS


def usable(request: HttpRequest) -> bool:
    """Whether this request's page may come from (and go to) the cache: not when
    it is turned off, nor when messages wait to be shown once."""
    return lifetime() > 0 and not len(get_messages(request))


def page_key(request: HttpRequest, fingerprint: str, unread: int) -> str:
    """The cache key of the status page ``request`` would render now."""
    get_token(request)  # the page's forms need it anyway; makes the secret known
    secret = request.META.get("CSRF_COOKIE", "")
    named = f"{fingerprint}\n{unread}\n{request.get_full_path()}\n{secret}"
    digest = hashlib.sha256(named.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}{request.user.pk}:{translation.get_language()}:{digest}"


def page_get(key: str) -> str | None:
    """The page kept under ``key``, if it was rendered less than a lifetime ago."""
    try:
        found = cache.get(key)
    except Exception:  # a cache outage must not take the page down
        logger.warning("Status page cache read failed", exc_info=True)
        return None
    if found is None:
        return None
    rendered_at, html = found
    # The cache's own expiry bounds it too; this also holds where time is moved.
    return html if timezone.now().timestamp() - rendered_at < lifetime() else None


def page_set(key: str, html: str) -> None:
    try:
        cache.set(key, (timezone.now().timestamp(), html), lifetime())
    except Exception:
        logger.warning("Status page cache write failed", exc_info=True)
