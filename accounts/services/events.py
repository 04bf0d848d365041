"""The event log: every write of a status event goes through ``event_record``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import listeners, outbox
from ..models import Account, Hold, StatusEvent

Kind = StatusEvent.Kind


def event_record(
    *,
    account: Account,
    kind: str,
    acting_user: Account | None,
    hold: Hold | None = None,
    data: dict[str, Any] | None = None,
) -> StatusEvent:
    """Append one event to the account's log. The only way events are written.

    Every listener of ``kind`` (``accounts.listeners``) is told through the
    outbox, in this same transaction.
    """
    if kind not in Kind.values:
        raise ValidationError(
            _("Unknown event kind %(kind)s.") % {"kind": kind}, code="unknown_kind"
        )
    with transaction.atomic(savepoint=False):  # the event and its listeners' tasks, together
        event = StatusEvent.objects.create(
            account=account, kind=kind, acting_user=acting_user, hold=hold, data=data or {}
        )
        for name in listeners.listeners_for(kind):
            outbox.task("accounts.tasks.event_listener_run", name, event.pk)
    return event

