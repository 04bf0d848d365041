"""The kept thread: staff replies, internal notes, questions and the owner's answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notice_texts as nt
from accounts.models import Account, StatusEvent

from ..models import MESSAGE_MAX_LENGTH, Appeal, Message
from ..uploads import CleanFile
from .claims import _require_open, _require_staff, _take_claim
from .common import (
    _event,
    _files_or_error,
    _lock,
    _message,
    _move,
    _notify_owner,
    _text_or_error,
)

State = Appeal.State
Kind = StatusEvent.Kind


@transaction.atomic
def appeal_staff_message(
    *, appeal: Appeal, acting_user: Account, body: str, internal: bool = False,
    files: Sequence[CleanFile] = (), now: datetime | None = None,
) -> Message:
    """Add a staff reply (the owner is told) or an internal note (the owner never sees it)."""
    now = now or timezone.now()
    _require_staff(acting_user)
    body = _text_or_error(body, limit=MESSAGE_MAX_LENGTH, field=_("message"))
    files = _files_or_error(files)
    appeal = _lock(appeal)
    if not internal:
        _require_open(appeal)
        _take_claim(appeal, acting_user, now)
        appeal.save(update_fields=["claimed_by", "claimed_at", "assignee"])
    message = _message(appeal, author=acting_user, role=Message.Author.STAFF, body=body,
                       internal=internal, files=files, now=now)
    if not internal:
        _notify_owner(appeal, "staff_message", body)
    return message


@transaction.atomic
def appeal_ask_user(
    *, appeal: Appeal, acting_user: Account, body: str, files: Sequence[CleanFile] = (),
    now: datetime | None = None,
) -> Appeal:
    """Ask the owner for more information: the appeal waits for their answer."""
    now = now or timezone.now()
    _require_staff(acting_user)
    body = _text_or_error(body, limit=MESSAGE_MAX_LENGTH, field=_("question"))
    appeal = _lock(appeal)
    _require_open(appeal)
    _take_claim(appeal, acting_user, now)
    _move(appeal, State.AWAITING_USER)
    appeal.awaiting_since, appeal.reminded_at = now, None
    appeal.save(update_fields=["state", "claimed_by", "claimed_at", "assignee",
                               "awaiting_since", "reminded_at"])
    _message(appeal, author=acting_user, role=Message.Author.STAFF, body=body, files=files, now=now)
    _event(appeal, Kind.APPEAL_AWAITING_USER, acting_user)
    _notify_owner(appeal, "asked", question=body, answer_by=nt.when(appeal.answer_by))
    return appeal


@transaction.atomic
def appeal_user_reply(
    *, appeal: Appeal, acting_user: Account, body: str, files: Sequence[CleanFile] = (),
    now: datetime | None = None,
) -> Message:
    """Add the owner's message; an appeal waiting for them goes back to review."""
    now = now or timezone.now()
    body = _text_or_error(body, limit=MESSAGE_MAX_LENGTH, field=_("message"))
    files = _files_or_error(files)
    appeal = _lock(appeal)
    if appeal.account_id != acting_user.pk:
        raise ValidationError(_("This appeal is not yours."), code="not_your_appeal")
    if not appeal.is_open:
        if appeal.kind == Appeal.Kind.SUPPORT:
            raise ValidationError(
                _("This conversation is closed, so it no longer takes messages. Start a new "
                  "one from the help page or your status page."), code="appeal_not_open")
        raise ValidationError(_("This appeal is %(state)s, so it no longer takes messages.")
                              % {"state": appeal.get_state_display()}, code="appeal_not_open")
    message = _message(appeal, author=acting_user, role=Message.Author.USER, body=body,
                       files=files, now=now)
    if appeal.state == State.AWAITING_USER:
        _move(appeal, State.IN_REVIEW)
        appeal.awaiting_since = None
        appeal.save(update_fields=["state", "awaiting_since"])
        _event(appeal, Kind.APPEAL_USER_REPLIED, acting_user)
    return message



@transaction.atomic
def case_resolve(
    *, appeal: Appeal, acting_user: Account, body: str, now: datetime | None = None,
) -> Appeal:
    """Close a support conversation as answered, with a last message to the owner.

    Only a conversation is resolved this way; an appeal or a remedies review
    ends in a decision (``appeal_decide``).
    """
    now = now or timezone.now()
    _require_staff(acting_user)
    body = _text_or_error(body, limit=MESSAGE_MAX_LENGTH, field=_("message"))
    appeal = _lock(appeal)
    _require_open(appeal)
    if appeal.decides:
        raise ValidationError(_("An appeal is decided, not resolved: accept or reject it."),
                              code="decide_instead")
    _take_claim(appeal, acting_user, now)
    _move(appeal, State.CLOSED)
    appeal.closed_at, appeal.claimed_by, appeal.claimed_at = now, None, None
    appeal.awaiting_since = None
    appeal.save(update_fields=["state", "closed_at", "claimed_by", "claimed_at", "assignee",
                               "awaiting_since"])
    _message(appeal, author=acting_user, role=Message.Author.STAFF, body=body, now=now)
    _event(appeal, Kind.APPEAL_CLOSED, acting_user, note="resolved")
    _notify_owner(appeal, "resolved", body)
    return appeal
