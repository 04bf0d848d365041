"""Background work of the state model. Tasks are thin: load, check, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import listeners, outbox, services
from .models import Hold, StatusEvent

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def holds_escalate_overdue() -> int:
    """Beat: escalate holds whose deadline passed."""
    return services.holds_escalate_overdue()


@shared_task(acks_late=True)
def holds_lift_expired() -> int:
    """Beat: lift holds whose expiry passed."""
    return services.holds_lift_expired()


_HOLD_NOTICE_TITLES = {
    StatusEvent.Kind.HOLD_PLACED: lambda reason: _("New limit on your account: %(r)s")
    % {"r": reason},
    StatusEvent.Kind.HOLD_LIFTED: lambda reason: _("Limit lifted: %(r)s") % {"r": reason},
    StatusEvent.Kind.HOLD_ESCALATED: lambda reason: _("Deadline passed: %(r)s") % {"r": reason},
}


@shared_task(acks_late=True)
def notify_hold_change(account_id: int, kind: str, hold_id: int) -> None:
    """Tell the owner, in the portal and by email, that a hold changed."""
    hold = Hold.objects.select_related("account").filter(pk=hold_id, account_id=account_id).first()
    if hold is None or kind not in _HOLD_NOTICE_TITLES:
        return
    account = hold.account
    with translation.override(account.language):
        services.notice_send(
            account=account,
            title=_HOLD_NOTICE_TITLES[kind](str(hold.catalog.title)),
            body=str(hold.catalog.explanation),
            url=reverse("accounts:status"),
            dedupe_key=f"hold:{hold.pk}:{kind}",
        )


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def notify_email_notice(notice_id: int) -> None:
    """Email the text of a notice to its owner, once."""
    notice = services.notice_claim_email(notice_id=notice_id)
    if notice is None or not notice.account.email:
        return
    link = f"{settings.SITE_URL}{notice.url}" if notice.url else settings.SITE_URL
    try:
        send_mail(
            subject=notice.title,
            message=f"{notice.body}\n\n{link}",
            from_email=None,
            recipient_list=[notice.account.email],
        )
    except OSError:  # SMTP errors included: give the claim back, then retry
        services.notice_release_email(notice_id=notice.pk)
        raise


@shared_task(acks_late=True)
def event_listener_run(listener: str, event_id: int) -> None:
    """Hand one event to one listener (webhooks, appeals, …): recorded by ``event_record``."""
    event = StatusEvent.objects.filter(pk=event_id).select_related("account", "hold").first()
    if event is not None:
        listeners.listener(listener)(event)


@shared_task(acks_late=True)
def outbox_relay() -> int:
    """Beat: publish outbox messages left behind (a backstop for ``manage.py outbox_relay``)."""
    return outbox.relay_due().published


@shared_task(acks_late=True)
def outbox_prune() -> int:
    """Beat: delete outbox messages published long ago."""
    return outbox.prune_published(older_than=settings.PORTAL_OUTBOX_KEEP_PUBLISHED)
