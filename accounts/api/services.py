"""Writes of the API app: service clients, webhook deliveries.

Holds and status are never written here: the API views call
``accounts.services`` for those.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, StatusEvent

from . import signing
from .models import ServiceClient, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
EXCERPT_CHARS = 500
EVENT_TYPE = "account.status_changed"


# ---------------------------------------------------------------------------
# Service clients
# ---------------------------------------------------------------------------
def _scopes_or_error(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ServiceClient.Scope.values))
    if unknown:
        raise ValidationError(
            _("Unknown scope: %(s)s.") % {"s": ", ".join(unknown)}, code="unknown_scope"
        )
    return [s for s in ServiceClient.Scope.values if s in scopes]


@transaction.atomic
def service_client_create(
    *, name: str, scopes: list[str], acting_user: Account | None
) -> tuple[ServiceClient, str]:
    """Create a client with a new key. Return it and the full key (shown once)."""
    client = ServiceClient(name=name, scopes=_scopes_or_error(scopes), created_by=acting_user)
    key = client.key_issue()
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


def _forget_client(prefix: str) -> None:
    from .auth import client_cache_forget

    # Dropped again after commit: then only a request that read the row before
    # the commit and stored it after can leave an old entry, for the cache TTL.
    client_cache_forget(prefix)
    transaction.on_commit(lambda: client_cache_forget(prefix))


# ---------------------------------------------------------------------------
# Webhook deliveries
# ---------------------------------------------------------------------------
def webhook_body(event: StatusEvent) -> str:
    """Return the JSON body for a status-change event (same bytes on every attempt)."""
    data = event.data or {}
    payload = {
        "id": str(event.pk),
        "type": EVENT_TYPE,
        "created_at": event.at.isoformat(),
        "data": {
            "platform_account_id": event.account.platform_account_id,
            "status": data.get("new"),
            "previous_status": data.get("old"),
            "blocked_features": data.get("blocked_features", []),
            "version": data.get("version"),
        },
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def webhook_deliveries_create(event: StatusEvent) -> list[WebhookDelivery]:
    """Status listener: queue a first attempt of ``event`` to every active endpoint.

    Idempotent: the fan-out task may run twice; the first attempt of an
    (event, endpoint) pair exists once.
    """
    if event.kind != StatusEvent.Kind.STATUS_CHANGED or not event.account.platform_account_id:
        return []
    body = webhook_body(event)
    created = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        with transaction.atomic():
            delivery, is_new = WebhookDelivery.objects.get_or_create(
                event=event, endpoint=endpoint, attempt=1, defaults={"body": body}
            )
            if is_new:
                _send_on_commit(delivery)
                created.append(delivery)
    return created


def _send_on_commit(delivery: WebhookDelivery, *, countdown: float = 0) -> None:
    from . import tasks

    pk = delivery.pk
    transaction.on_commit(lambda: tasks.webhook_deliver.apply_async((pk,), countdown=countdown))


def webhook_backoff(attempt: int) -> timedelta:
    """Return the wait before attempt ``attempt + 1`` (exponential)."""
    return timedelta(seconds=settings.PORTAL_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one pending attempt, record the outcome, queue the next one on failure.

    The claim (pending → sending) makes a duplicate task a no-op.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=State.PENDING).update(
        state=State.SENDING, attempted_at=now
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    outcome = _post(delivery)
    delivery.status_code = outcome["status_code"]
    delivery.response_excerpt = outcome["excerpt"]
    delivery.error = outcome["error"]
    delivery.duration_ms = outcome["duration_ms"]
    ok = outcome["status_code"] is not None and 200 <= outcome["status_code"] < 300
    delivery.state = State.DELIVERED if ok else State.FAILED
    delivery.delivered_at = timezone.now() if ok else None
    with transaction.atomic():
        delivery.save(update_fields=[
            "status_code", "response_excerpt", "error", "duration_ms", "state", "delivered_at",
        ])
        if not ok:
            _retry_later(delivery)
    return delivery


def _retry_later(failed: WebhookDelivery) -> WebhookDelivery | None:
    """Queue the next attempt with backoff, unless attempts are used up or it was manual."""
    if failed.manual or failed.attempt >= settings.PORTAL_WEBHOOK_MAX_ATTEMPTS:
        return None
    if not failed.endpoint.active:
        return None
    wait = webhook_backoff(failed.attempt)
    try:
        with transaction.atomic():
            nxt = WebhookDelivery.objects.create(
                endpoint=failed.endpoint, event_id=failed.event_id, attempt=failed.attempt + 1,
                body=failed.body, next_retry_at=timezone.now() + wait,
            )
    except IntegrityError:
        return None  # a manual re-send already took this attempt number
    _send_on_commit(nxt, countdown=wait.total_seconds())
    return nxt


def _post(delivery: WebhookDelivery) -> dict:
    """POST the signed body once; return status code, excerpt, error and duration."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "portal-webhooks/1",
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.SIGNATURE_HEADER: signing.signature_header(delivery.endpoint.secret, body),
        "X-Portal-Delivery-Attempt": str(delivery.attempt),
    }
    started = time.monotonic()
    result = {"status_code": None, "excerpt": "", "error": ""}
    try:
        with requests.post(
            delivery.endpoint.url, data=body, headers=headers, stream=True,
            timeout=settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False,
        ) as response:
            result["status_code"] = response.status_code
            raw = response.raw.read(EXCERPT_CHARS * 4, decode_content=True) or b""
            result["excerpt"] = raw.decode("utf-8", "replace")[:EXCERPT_CHARS]
    except requests.Timeout as error:
        result["error"] = f"timeout: {error}"[:EXCERPT_CHARS]
    except requests.RequestException as error:
        result["error"] = f"{type(error).__name__}: {error}"[:EXCERPT_CHARS]
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


@transaction.atomic
def webhook_resend(*, delivery: WebhookDelivery, acting_user: Account | None) -> WebhookDelivery:
    """Queue one more (manual) attempt of the delivery's event to its endpoint."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if not endpoint.active:
        raise ValidationError(_("This endpoint is not active."), code="endpoint_inactive")
    last = WebhookDelivery.objects.filter(
        event_id=delivery.event_id, endpoint=endpoint
    ).aggregate(n=Max("attempt"))["n"] or 0
    resend = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=delivery.event_id, attempt=last + 1, manual=True,
        body=delivery.body,
    )
    logger.info("Webhook delivery %s re-sent by %s as %s", delivery.pk, acting_user, resend.pk)
    _send_on_commit(resend)
    return resend


def webhook_deliveries_sweep(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Re-enqueue attempts whose task was lost; fail attempts stuck while sending.

    A pending attempt overdue by more than ``grace`` lost its task (broker
    outage); re-sending the task is harmless because of the claim.
    """
    now = now or timezone.now()
    grace = grace or timedelta(minutes=1)
    stuck_before = now - grace - timedelta(seconds=settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS)
    for stuck in WebhookDelivery.objects.select_related("endpoint").filter(
        state=State.SENDING, attempted_at__lt=stuck_before
    ):
        with transaction.atomic():
            if WebhookDelivery.objects.filter(pk=stuck.pk, state=State.SENDING).update(
                state=State.FAILED, error="interrupted: the worker stopped while sending"
            ):
                _retry_later(stuck)
    due = list(
        WebhookDelivery.objects.filter(state=State.PENDING, next_retry_at__lt=now - grace)
        .values_list("pk", flat=True)[:500]
    )
    from . import tasks

    for pk in due:
        tasks.webhook_deliver.delay(pk)
    return len(due)
