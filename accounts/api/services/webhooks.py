"""Webhook deliveries: every outcome goes to the platform, signed per Standard Webhooks.

An event of the catalogue (``accounts.api.events``) becomes one first attempt
per active endpoint that wants its type; each attempt is sent by a task
recorded in the outbox, and a failed one queues the next with exponential
backoff (again through the outbox, held back until it is due). Every attempt
is kept as the delivery log.

Each POST carries ``webhook-id`` (the event, stable across retries),
``webhook-timestamp`` and ``webhook-signature`` as the Standard Webhooks
specification defines them, signed with the ``standardwebhooks`` library:
by the endpoint's secret and, during a rotation, by the previous one too, so
a receiver that still holds the old secret keeps verifying. Endpoints that
existed before keep the v1 ``X-Portal-Signature`` header as well.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from accounts import listeners, outbox
from accounts.models import Account, StatusEvent

from .. import events, signing
from ..models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
EXCERPT_CHARS = 500
DELIVER_TASK = "accounts.api.tasks.webhook_deliver"


# ---------------------------------------------------------------------------
# From events to deliveries
# ---------------------------------------------------------------------------
@listeners.listen(*events.KINDS)
def webhook_deliveries_create(event: StatusEvent) -> list[WebhookDelivery]:
    """Event listener: queue a first attempt of ``event`` to every endpoint that wants it.

    Idempotent: the listener's task may run twice; the first attempt of an
    (event, endpoint) pair exists once.
    """
    body = events.body(event)
    if body is None:
        return []
    event_type = events.BY_KIND[event.kind].name
    created = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if not endpoint.wants(event_type):
            continue
        with transaction.atomic():
            delivery, is_new = WebhookDelivery.objects.get_or_create(
                event=event, endpoint=endpoint, attempt=1,
                defaults={"body": body, "event_type": event_type},
            )
            if is_new:
                _send(delivery)
                created.append(delivery)
    return created


def _send(delivery: WebhookDelivery, *, delay: timedelta | None = None) -> None:
    outbox.task(DELIVER_TASK, delivery.pk, delay=delay,
                dedupe_key=f"webhook-delivery:{delivery.pk}")


def webhook_backoff(attempt: int) -> timedelta:
    """Return the wait before attempt ``attempt + 1`` (exponential)."""
    return timedelta(seconds=settings.PORTAL_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))


# ---------------------------------------------------------------------------
# Sending one attempt
# ---------------------------------------------------------------------------
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


def webhook_headers(delivery: WebhookDelivery, *, now: datetime | None = None) -> dict[str, str]:
    """Return the headers of one attempt: Standard Webhooks, and v1 where the endpoint wants it."""
    now = now or timezone.now()
    sent_at = datetime.fromtimestamp(int(now.timestamp()), tz=UTC)
    msg_id = events.message_id(delivery.event_id)
    endpoint = delivery.endpoint
    signatures = [
        signer(secret).sign(msg_id=msg_id, timestamp=sent_at, data=delivery.body)
        for secret in endpoint.signing_secrets(now)
    ]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "portal-webhooks/2",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "X-Portal-Delivery-Attempt": str(delivery.attempt),
    }
    if endpoint.legacy_signature:
        headers[signing.EVENT_ID_HEADER] = str(delivery.event_id)
        headers[signing.SIGNATURE_HEADER] = signing.signature_header(
            endpoint.secret, delivery.body.encode(), timestamp=int(sent_at.timestamp())
        )
    return headers


def signer(secret: str) -> Webhook:
    """The Standard Webhooks signer of ``secret`` (``whsec_<base64>``, as receivers hold it)."""
    return Webhook(secret)


def _post(delivery: WebhookDelivery) -> dict:
    """POST the signed body once; return status code, excerpt, error and duration."""
    started = time.monotonic()
    result: dict = {"status_code": None, "excerpt": "", "error": ""}
    try:
        with requests.post(
            delivery.endpoint.url, data=delivery.body.encode(), headers=webhook_headers(delivery),
            stream=True, timeout=settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False,
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
                body=failed.body, event_type=failed.event_type,
                next_retry_at=timezone.now() + wait,
            )
    except IntegrityError:
        return None  # a manual re-send already took this attempt number
    _send(nxt, delay=wait)
    return nxt


# ---------------------------------------------------------------------------
# Staff actions and the sweeper
# ---------------------------------------------------------------------------
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
        body=delivery.body, event_type=delivery.event_type,
    )
    logger.info("Webhook delivery %s re-sent by %s as %s", delivery.pk, acting_user, resend.pk)
    _send(resend)
    return resend


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, acting_user: Account | None, now: datetime | None = None
) -> str:
    """Give the endpoint a new secret; the old one keeps signing for the rotation window.

    Returns the new secret (shown once to the person rotating it). Give it to
    the receiver within ``PORTAL_WEBHOOK_SECRET_ROTATION_HOURS``.
    """
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(
        hours=settings.PORTAL_WEBHOOK_SECRET_ROTATION_HOURS
    )
    endpoint.secret = signing.secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    logger.info("Webhook endpoint %s secret rotated by %s", endpoint.pk, acting_user)
    return endpoint.secret


def webhook_deliveries_sweep(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Fail attempts stuck while sending (a worker died); re-send pending ones long overdue.

    The outbox publishes every attempt, so an overdue pending attempt means
    its message was lost by the broker itself; it is sent again at most once
    per ``grace`` period, and the claim keeps it to one send.
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
    bucket = int(now.timestamp() // grace.total_seconds())
    for pk in due:
        outbox.task(DELIVER_TASK, pk, dedupe_key=f"webhook-delivery:{pk}:resend:{bucket}")
    return len(due)
