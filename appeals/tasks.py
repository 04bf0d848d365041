"""Background work for appeals (queue ``review``). Thin: load, check, call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services
from .models import Appeal

# Retry only transient database trouble, a bounded number of times.
RETRY = {"autoretry_for": (OperationalError, InterfaceError), "max_retries": 3,
         "retry_backoff": True}


@shared_task(acks_late=True, **RETRY)
def appeal_triage(appeal_id: int) -> None:
    """Set priority and assignee of a newly filed appeal; a second run does nothing."""
    if Appeal.objects.filter(pk=appeal_id, triaged_at__isnull=True).exists():
        services.appeal_triage(appeal=appeal_id)


@shared_task(acks_late=True, **RETRY)
def appeals_escalate_overdue() -> int:
    """Beat: escalate open appeals past their SLA to the supervisors."""
    return services.appeals_escalate_overdue()


@shared_task(acks_late=True, **RETRY)
def appeals_remind_silent() -> int:
    """Beat: remind owners who have not answered a question for 3 days."""
    return services.appeals_remind_silent()


@shared_task(acks_late=True, **RETRY)
def appeals_close_abandoned() -> int:
    """Beat: close appeals left waiting for the owner for 14 days."""
    return services.appeals_close_abandoned()


@shared_task(acks_late=True, **RETRY)
def appeals_triage_pending() -> int:
    """Beat: triage appeals whose triage task never ran (a lost message)."""
    return services.appeals_triage_pending()
