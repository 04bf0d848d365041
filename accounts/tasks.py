"""Background work of the state model. Tasks are thin: load, check, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from . import listeners, outbox, services
from . import notice_texts as nt
from .models import Hold, StatusEvent
from .notice_texts import Text

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def holds_escalate_overdue() -> int:
    """Beat: escalate holds whose deadline passed."""
    return services.holds_escalate_overdue()


@shared_task(acks_late=True)
def holds_lift_expired() -> int:
    """Beat: lift holds whose expiry passed."""
    return services.holds_lift_expired()


def _hold_notice(kind: str, hold: Hold) -> tuple[Text, Text] | None:
    """The title and body of the notice about ``kind`` happening to ``hold``.

    The "lifted" notice says what works again, not why the limit was placed.
    """
    reason = nt.reason_title(hold.reason)
    if kind == StatusEvent.Kind.HOLD_PLACED:
        return (nt.text(gettext_noop("New limit on your account: %(reason)s"), reason=reason),
                nt.text(gettext_noop("%(explanation)s Blocked: %(features)s."),
                        explanation=nt.reason_text(hold.reason, "explanation"),
                        features=nt.features(hold.blocked_features)))
    if kind == StatusEvent.Kind.HOLD_LIFTED:
        return (nt.text(gettext_noop("Limit lifted: %(reason)s"), reason=reason),
                nt.text(gettext_noop("This limit no longer applies: %(features)s work again "
                                     "unless another limit still blocks them."),
                        features=nt.features(hold.blocked_features)))
    if kind == StatusEvent.Kind.HOLD_ESCALATED:
        return (nt.text(gettext_noop("Deadline passed: %(reason)s"), reason=reason),
                nt.text(gettext_noop("The limit is now stricter. Blocked: %(features)s."),
                        features=nt.features(hold.blocked_features)))
    return None


@shared_task(acks_late=True)
def notify_hold_change(account_id: int, kind: str, hold_id: int) -> None:
    """Tell the owner, in the portal and by email, that a hold changed."""
    hold = Hold.objects.select_related("account").filter(pk=hold_id, account_id=account_id).first()
    notice = _hold_notice(kind, hold) if hold is not None else None
    if hold is None or notice is None:
        return
    title, body = notice
    services.notice_send(
        account=hold.account, title=title, body=body, url=reverse("accounts:status"),
        dedupe_key=f"hold:{hold.pk}:{kind}",
    )


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def notify_email_notice(notice_id: int) -> None:
    """Email the text of a notice to its owner, once."""
    notice = services.notice_claim_email(notice_id=notice_id)
    if notice is None or not notice.account.email:
        return
    link = f"{settings.SITE_URL}{notice.url}" if notice.url else settings.SITE_URL
    with translation.override(notice.account.language):  # the owner's language now
        subject, body = notice.display_title(), notice.display_body()
    try:
        send_mail(
            subject=subject,
            message=f"{body}\n\n{link}",
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


@shared_task(acks_late=True)
def holds_remind_deadlines() -> int:
    """Beat: remind owners before a deadline escalates their hold (once per reminder)."""
    return services.holds_remind_deadlines()
