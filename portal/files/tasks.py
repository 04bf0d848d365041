"""Background work of the file guard (queue ``review``)."""

from __future__ import annotations

from celery import shared_task

from . import storage


@shared_task(acks_late=True)
def files_sweep() -> int:
    """Beat: delete private files no row owns and stale spooled uploads, after a grace period."""
    return storage.sweep()
