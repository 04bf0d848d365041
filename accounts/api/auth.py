"""API-key authentication and scope permissions for service clients."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from . import signing
from .models import ServiceClient


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Accept ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        key = self._key_from(request)
        if key is None:
            return None
        prefix = signing.key_prefix(key)
        client = (
            ServiceClient.objects.filter(key_prefix=prefix).only(
                "pk", "key_hash", "scopes", "revoked_at", "name"
            ).first()
            if prefix
            else None
        )
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
