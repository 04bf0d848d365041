"""Service clients: the platform's systems calling the API, each with one key."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import outbox
from accounts.models import Account

from ..models import ServiceClient

logger = logging.getLogger(__name__)


def _scopes_or_error(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ServiceClient.Scope.values))
    if unknown:
        raise ValidationError(
            _("Unknown scope: %(s)s.") % {"s": ", ".join(unknown)}, code="unknown_scope"
        )
    return [s for s in ServiceClient.Scope.values if s in scopes]


@transaction.atomic
def service_client_create(
    *, name: str, scopes: list[str], acting_user: Account | None, key: str | None = None
) -> tuple[ServiceClient, str]:
    """Create a client with a new key. Return it and the full key (shown once).

    ``key``: a known key instead of a new one (the embedded demo's, see
    ``accounts.demo``); it must be well formed.
    """
    client = ServiceClient(name=name, scopes=_scopes_or_error(scopes), created_by=acting_user)
    key = client.key_issue(key)
    client.save()
    _forget_client(client.key_prefix)  # a cached "unknown" for this prefix must not linger
    return client, key


@transaction.atomic
def service_client_revoke(
    *, client: ServiceClient, acting_user: Account | None, now: datetime | None = None
) -> bool:
    """Revoke the client's key at once. Return False if it already was."""
    changed = ServiceClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    _forget_client(client.key_prefix)
    if changed:
        logger.info("Service client %s revoked by %s", client.pk, acting_user)
    return bool(changed)


@transaction.atomic
def service_client_update(
    *, client: ServiceClient, name: str, scopes: list[str], acting_user: Account | None
) -> ServiceClient:
    """Rename the client or change its scopes; applies to the next request."""
    client = ServiceClient.objects.select_for_update().get(pk=client.pk)
    client.name, client.scopes = name, _scopes_or_error(scopes)
    client.save(update_fields=["name", "scopes"])
    _forget_client(client.key_prefix)
    return client


@outbox.registered_call("api_client_cache.forget")
def api_client_cache_forget(prefix: str) -> None:
    """Outbox call: drop a client's cached record (after its change committed)."""
    from ..auth import client_cache_forget

    client_cache_forget(prefix)


def _forget_client(prefix: str) -> None:
    from ..auth import client_cache_forget

    # Dropped now and again after commit (through the outbox): then only a
    # request that read the row before the commit and stored it after can
    # leave an old entry, for the cache TTL.
    client_cache_forget(prefix)
    outbox.call("api_client_cache.forget", prefix)
