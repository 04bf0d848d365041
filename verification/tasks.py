"""Background work of verification (queue ``checks``). Thin and idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


# A database hiccup before the claim is retried; after the claim the sweeper
# hands a request stuck in "checking" back to the queue.
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def verification_run_checks(request_id: int) -> str | None:
    """Run the automatic checks of a submitted request (no-op if already claimed)."""
    return services.verification_run_checks(request_id=request_id)


# Reading an ID photo right after its upload (the details step's prefill). A
# worker killed mid-read redelivers the task; the reading counts its attempts.
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3,
             soft_time_limit=60, time_limit=90)
def verification_read_document(image_id: int) -> str | None:
    """Find, flatten and read one ID photo (no-op if already read)."""
    from .services.document import verification_document_read

    reading = verification_document_read(image_id=image_id)
    return reading.state if reading else None


@shared_task(acks_late=True)
def verification_requeue_stuck() -> int:
    """Beat: re-send checks lost to a broker outage or a dead worker."""
    return services.verification_requeue_stuck()


@shared_task(acks_late=True)
def verification_images_purge() -> int:
    """Beat: delete identity images past their retention."""
    return services.verification_images_purge()


@shared_task(acks_late=True)
def verifications_escalate_overdue() -> int:
    """Beat: hand cases in review past their SLA to the supervisors."""
    return services.verifications_escalate_overdue()
