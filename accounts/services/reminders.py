"""Reminders before a hold's deadline escalates it: a notice and an email
``PORTAL_DEADLINE_WARNING`` before, and one day before, once each."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from .. import notice_texts as nt
from ..models import Hold, Notice, StatusEvent
from .events import event_record
from .notices import notice_send
from .status import _lock_account

logger = logging.getLogger(__name__)
Kind = StatusEvent.Kind
LAST_DAY = timedelta(days=1)
WARNING, FINAL = "warning", "final"


def reminder_due(deadline: datetime, now: datetime) -> str | None:
    """Which reminder a deadline calls for now: ``final`` within the last day,
    ``warning`` within ``PORTAL_DEADLINE_WARNING``, else None."""
    left = deadline - now
    if left <= timedelta(0):
        return None
    if left <= LAST_DAY:
        return FINAL
    if left <= settings.PORTAL_DEADLINE_WARNING:
        return WARNING
    return None


def holds_remind_deadlines(*, now: datetime | None = None) -> int:
    """Beat: send the reminders that are due. Return how many were sent."""
    now = now or timezone.now()
    horizon = now + max(settings.PORTAL_DEADLINE_WARNING, LAST_DAY)
    due = (Hold.objects.active()
           .filter(escalated_at__isnull=True, deadline__gt=now, deadline__lte=horizon)
           .values_list("pk", "deadline"))
    sent = 0
    for pk, deadline in list(due):
        which = reminder_due(deadline, now)
        if which is not None:
            sent += hold_remind(hold_id=pk, which=which, now=now)
    return sent


def _dedupe_key(hold_id: int, which: str) -> str:
    return f"hold-deadline:{hold_id}:{which}"


@transaction.atomic
def hold_remind(*, hold_id: int, which: str, now: datetime | None = None) -> bool:
    """Remind the owner of ``hold_id``'s deadline (``warning`` or ``final``), once.

    Runs under the account lock; a reminder already sent (its notice's dedupe
    key) is not sent again, so a beat run twice, or two at once, send one.
    """
    now = now or timezone.now()
    hold = Hold.objects.filter(pk=hold_id).first()
    if hold is None:
        return False
    _lock_account(hold.account_id)
    hold = Hold.objects.select_related("account").get(pk=hold_id)
    if (not hold.is_active or hold.escalated_at is not None or hold.deadline is None
            or hold.deadline <= now):
        return False
    key = _dedupe_key(hold.pk, which)
    if Notice.objects.filter(dedupe_key=key).exists():
        return False
    reason, deadline = nt.reason_title(hold.reason), nt.when(hold.deadline)
    if which == FINAL:
        title = nt.text(gettext_noop("Last day to act: %(reason)s"), reason=reason)
    else:
        title = nt.text(gettext_noop("Reminder: act by %(deadline)s"), deadline=deadline)
    body = nt.text(gettext_noop("%(reason)s — act by %(deadline)s. %(escalation)s Open your status "
                                "page to do it now."),
                   reason=reason, deadline=deadline,
                   escalation=nt.reason_text(hold.reason, "escalation_text"))
    notice_send(account=hold.account, title=title, body=body, url=reverse("accounts:status"),
                dedupe_key=key)
    event_record(account=hold.account, kind=Kind.DEADLINE_REMINDED, acting_user=None, hold=hold,
                 data={"which": which, "deadline": hold.deadline.isoformat()})
    return True
