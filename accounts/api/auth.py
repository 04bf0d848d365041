"""API-key authentication and scope permissions for service clients."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.cache import status_cache_enabled

from . import signing
from .models import ServiceClient

CLIENT_CACHE_PREFIX = "portal:apiclient:"
# Revocation deletes the entry at once; the TTL only bounds the tiny race of a
# request that read the row just before the revocation committed.
CLIENT_CACHE_TTL_SECONDS = 60


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Accept ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        key = self._key_from(request)
        if key is None:
            return None
        prefix = signing.key_prefix(key)
        client = client_by_prefix(prefix) if prefix else None
        if client is None or not signing.key_matches(key, client.key_hash):
            raise exceptions.AuthenticationFailed(_("Invalid API key."), code="invalid_key")
        if not client.is_active:
            raise exceptions.AuthenticationFailed(
                _("This API key has been revoked."), code="revoked_key"
            )
        return client, client

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing or wrong.
        return f'{self.keyword} realm="api"'

    def _key_from(self, request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header:
            scheme, _sep, value = header.partition(" ")
            if scheme.lower() != self.keyword.lower() or not value.strip():
                raise exceptions.AuthenticationFailed(
                    _("Use “Authorization: Bearer <key>”."), code="invalid_header"
                )
            return value.strip()
        return request.META.get("HTTP_X_API_KEY") or None


def client_by_prefix(prefix: str) -> ServiceClient | None:
    """Return the client with this key prefix, from Redis when possible (the hot path)."""
    use_cache = status_cache_enabled()
    fields = cache.get(CLIENT_CACHE_PREFIX + prefix) if use_cache else None
    if fields is None:
        fields = ServiceClient.objects.filter(key_prefix=prefix).values(
            "pk", "key_hash", "scopes", "revoked_at"
        ).first()
        if fields is None:
            return None
        fields["revoked_at"] = fields["revoked_at"] and fields["revoked_at"].isoformat()
        if use_cache:
            cache.set(CLIENT_CACHE_PREFIX + prefix, fields, CLIENT_CACHE_TTL_SECONDS)
    return ServiceClient(
        pk=fields["pk"], key_prefix=prefix, key_hash=fields["key_hash"], scopes=fields["scopes"],
        revoked_at=fields["revoked_at"] and parse_datetime(fields["revoked_at"]),
    )


def client_cache_forget(prefix: str) -> None:
    """Drop the cached client so a revocation or scope change applies to the next request."""
    if status_cache_enabled():
        cache.delete(CLIENT_CACHE_PREFIX + prefix)


class HasScope(permissions.BasePermission):
    """Require an authenticated client holding ``required_scope`` of the view."""

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ServiceClient):
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
