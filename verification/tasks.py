"""Background work of verification (queue ``checks``). Thin and idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def verification_run_checks(request_id: int) -> str | None:
    """Run the automatic checks of a submitted request (no-op if already claimed)."""
    return services.verification_run_checks(request_id=request_id)


@shared_task(acks_late=True)
def verification_requeue_stuck() -> int:
    """Beat: re-send checks lost to a broker outage or a dead worker."""
    return services.verification_requeue_stuck()


@shared_task(acks_late=True)
def verification_images_purge() -> int:
    """Beat: delete identity images past their retention."""
    return services.verification_images_purge()
