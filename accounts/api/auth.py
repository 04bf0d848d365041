"""API-key authentication and scope permissions for service clients."""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import redis
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.cache import (
    redis_client,
    redis_mget,
    redis_mget_counting,
    status_cache_enabled,
    status_cache_key,
    status_snapshot_decode,
)

from . import signing, throttling
from .models import ServiceClient

logger = logging.getLogger(__name__)
CLIENT_CACHE_PREFIX = "portal:apiclient:"
# Revocation deletes the entry at once; the TTL only bounds the tiny race of a
# request that read the row just before the revocation committed.
CLIENT_CACHE_TTL_SECONDS = 60
CLIENT_FIELDS = ("pk", "key_hash", "scopes", "revoked_at")
# A prefix no client has is remembered as unknown for this long, so a flood
# of made-up keys does not query the database on every request. Creating a
# client drops the entry of its prefix, so a new key works at once.
UNKNOWN_CLIENT: dict = {"unknown": True}
UNKNOWN_CLIENT_TTL_SECONDS = 30


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Accept ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        key = api_key_from(request.META)
        if key is None:
            return None
        kwargs = (getattr(request, "parser_context", None) or {}).get("kwargs") or {}
        client = client_for_key(key, request, kwargs.get("platform_account_id"))
        return client, client

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing or wrong.
        return f'{self.keyword} realm="api"'


def api_key_from(meta: dict) -> str | None:
    """Return the key sent with a request, None if none was, or raise on a malformed header."""
    header = meta.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _sep, value = header.partition(" ")
        if scheme.lower() != ApiKeyAuthentication.keyword.lower() or not value.strip():
            raise exceptions.AuthenticationFailed(
                _("Use “Authorization: Bearer <key>”."), code="invalid_header"
            )
        return value.strip()
    return meta.get("HTTP_X_API_KEY") or None


def client_for_key(key: str, request=None, platform_account_id: str | None = None) -> Principal:
    """Return the active client owning ``key``, or raise AuthenticationFailed.

    ``request`` and ``platform_account_id`` are passed on to ``client_by_prefix``
    so the account's cached status comes in the same Redis round trip.
    """
    prefix = signing.key_prefix(key)
    digest = signing.key_digest(key)
    client = client_by_prefix(prefix, request, platform_account_id, digest) if prefix else None
    if client is None or not hmac.compare_digest(digest, client.key_hash):
        if request is not None:
            # Made-up keys must not leave a counter each behind in Redis.
            throttling.count_forget(request, throttling.client_ident(digest))
        raise exceptions.AuthenticationFailed(_("Invalid API key."), code="invalid_key")
    if not client.is_active:
        raise exceptions.AuthenticationFailed(
            _("This API key has been revoked."), code="revoked_key"
        )
    return client


@dataclass(frozen=True)
class Principal:
    """The authenticated client of one request (``request.auth``), without a model instance."""

    pk: int
    key_prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    revoked_at: datetime | None
    # DRF treats whatever authentication returns as ``request.user``.
    is_authenticated = True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def client_by_prefix(
    prefix: str, request=None, platform_account_id: str | None = None,
    key_digest: str | None = None,
) -> Principal | None:
    """Return the client with this key prefix, from Redis when possible (the hot path).

    With ``platform_account_id`` the account's cached status is fetched in the
    same Redis round trip and left on the request for the view
    (``prefetched_status``); the "may" endpoint then costs one round trip.
    With ``key_digest`` the request is counted against that key's rate limit
    in the same round trip too (``throttling``).
    """
    fields = _cached_fields(prefix, request, platform_account_id, key_digest)
    if fields == UNKNOWN_CLIENT:
        return None
    if fields is None:
        fields = ServiceClient.objects.filter(key_prefix=prefix).values(*CLIENT_FIELDS).first()
        if fields is None:
            _cache_fields(prefix, UNKNOWN_CLIENT, ttl=UNKNOWN_CLIENT_TTL_SECONDS)
            return None
        fields["revoked_at"] = fields["revoked_at"] and fields["revoked_at"].isoformat()
        _cache_fields(prefix, fields)
    return Principal(
        pk=fields["pk"], key_prefix=prefix, key_hash=fields["key_hash"],
        scopes=tuple(fields["scopes"]),
        revoked_at=fields["revoked_at"] and parse_datetime(fields["revoked_at"]),
    )


def prefetched_status(request, platform_account_id: str):
    """Return the status snapshot fetched with the key, if it was (else None)."""
    found = getattr(request, "_portal_status_prefetch", None)
    if found is not None and found[0] == platform_account_id:
        return found[1]
    return None


def _cached_fields(
    prefix: str, request, platform_account_id: str | None, key_digest: str | None = None
) -> dict | None:
    """Return the cached client record, ``UNKNOWN_CLIENT``, or None on a miss."""
    if not status_cache_enabled():
        return None
    keys = [CLIENT_CACHE_PREFIX + prefix]
    if platform_account_id is not None and request is not None:
        keys.append(status_cache_key(platform_account_id))
    counting = _window_to_count(request, key_digest)
    try:
        if counting is None:
            values = redis_mget(keys)
        else:
            ident, window = counting
            values, count = redis_mget_counting(keys, window.counter, window.ttl)
            throttling.count_record(request, ident, window, count)
    except redis.RedisError:
        logger.warning("API client cache read failed; reading the database", exc_info=True)
        return None
    if len(keys) == 2 and values[1]:
        # Stored on the Django request (DRF's Request proxies attribute reads to
        # it); the "may" view's fast path passes the Django request itself.
        getattr(request, "_request", request)._portal_status_prefetch = (
            platform_account_id, status_snapshot_decode(values[1]),
        )
    return _client_fields_decode(values[0])


def _window_to_count(
    request, key_digest: str | None
) -> tuple[str, throttling.Window] | None:
    """Return who to count this request for and in which window; None if not limited
    or already counted."""
    if request is None or key_digest is None:
        return None
    ident = throttling.client_ident(key_digest)
    if throttling.counted(request, ident) is not None:
        return None  # the "may" fast path counted it before handing over to DRF
    window = throttling.client_window(ident)
    return None if window is None else (ident, window)


def _client_fields_decode(raw: bytes | None) -> dict | None:
    """Decode a cached client; one that does not decode is a miss, never an error."""
    try:
        fields = json.loads(raw) if raw else None
    except ValueError:
        fields = None
    if fields == UNKNOWN_CLIENT:
        return UNKNOWN_CLIENT
    if isinstance(fields, dict) and set(CLIENT_FIELDS) <= fields.keys():
        return fields
    return None


def _cache_fields(prefix: str, fields: dict, ttl: int = CLIENT_CACHE_TTL_SECONDS) -> None:
    if (client := redis_client()) is None:
        return
    try:
        client.set(CLIENT_CACHE_PREFIX + prefix, json.dumps(fields), ex=ttl)
    except redis.RedisError:
        logger.warning("API client cache store failed", exc_info=True)


def client_cache_forget(prefix: str) -> None:
    """Drop the cached client so a revocation or scope change applies to the next request."""
    if (client := redis_client()) is None:
        return
    try:
        client.delete(CLIENT_CACHE_PREFIX + prefix)
    except redis.RedisError:
        # The entry then lives until its short TTL; log it loudly.
        logger.exception("API client cache delete failed for %s", prefix)


class HasScope(permissions.BasePermission):
    """Require an authenticated client holding ``required_scope`` of the view."""

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, Principal):
            raise exceptions.NotAuthenticated(
                _("An API key is required."), code="not_authenticated"
            )
        scope = view.required_scope
        if not client.has_scope(scope):
            raise exceptions.PermissionDenied(
                _("This API key lacks the scope “%(scope)s”.") % {"scope": scope},
                code="missing_scope",
            )
        return True


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "psk_… API key"}
