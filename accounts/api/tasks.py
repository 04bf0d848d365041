"""Webhook tasks (queue ``notify``). Thin: the work is in ``services``."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    """Send one pending webhook attempt (a no-op if another worker claimed it)."""
    services.webhook_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def webhook_deliveries_sweep() -> int:
    """Beat: re-enqueue webhook attempts whose task was lost."""
    return services.webhook_deliveries_sweep()
