"""The state table and the helpers every appeals service shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Account, StatusEvent

from ..models import Appeal, Attachment, Message
from ..uploads import CleanFile

State = Appeal.State

# The one table of allowed moves. Accepted and rejected are decided; closed is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    # Open appeals also close when their hold is lifted by another route.
    State.SUBMITTED: frozenset({State.IN_REVIEW, State.AWAITING_USER, State.ACCEPTED,
                                State.REJECTED, State.CLOSED}),
    State.IN_REVIEW: frozenset({State.AWAITING_USER, State.ACCEPTED, State.REJECTED,
                                State.CLOSED}),
    State.AWAITING_USER: frozenset({State.IN_REVIEW, State.ACCEPTED, State.REJECTED,
                                    State.CLOSED}),
    State.ACCEPTED: frozenset({State.CLOSED}),
    State.REJECTED: frozenset({State.CLOSED}),
    State.CLOSED: frozenset(),
}


def _move(appeal: Appeal, new_state: str) -> None:
    if new_state not in TRANSITIONS[appeal.state]:
        raise ValidationError(
            _("This appeal is %(state)s and cannot move to “%(new)s”.")
            % {"state": appeal.get_state_display(), "new": State(new_state).label},
            code="transition_not_allowed")
    appeal.state = new_state


def _lock(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    # Only the appeal's row is locked ("self"): the hold is a nullable join.
    return (Appeal.objects.select_for_update(of=("self",)).select_related("hold", "account")
            .get(pk=pk))


def _event(appeal: Appeal, kind: str, acting_user: Account | None, **data: Any) -> StatusEvent:
    return account_services.event_record(
        account=appeal.account, kind=kind, acting_user=acting_user, hold=appeal.hold,
        data={"appeal": appeal.pk, **data})


def _notify(account: Account, title: str, body: str = "", url: str = "") -> None:
    with translation.override(account.language):
        account_services.notice_send(account=account, title=str(title), body=str(body), url=url)


def _notify_owner(appeal: Appeal, title_fn, body="") -> None:
    """Notify the owner in their own language.

    ``title_fn`` (and ``body`` when it is a callable) are evaluated inside the
    owner's language; a plain ``body`` is a staff message, sent as written.
    """
    with translation.override(appeal.account.language):
        text = body() if callable(body) else body
        account_services.notice_send(
            account=appeal.account, title=str(title_fn()), body=str(text),
            url=reverse("appeals:detail", args=[appeal.pk]))


def _text_or_error(text: str, *, limit: int, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write a few words: the %(field)s cannot be empty.")
                              % {"field": field}, code="empty")
    if len(text) > limit:
        raise ValidationError(
            _("The %(field)s is %(n)d characters long; the limit is %(limit)d. Shorten it.")
            % {"field": field, "n": len(text), "limit": limit}, code="too_long")
    return text


def _files_or_error(files: Sequence[CleanFile]) -> Sequence[CleanFile]:
    limit = settings.PORTAL_APPEAL_EVIDENCE_MAX_FILES
    if len(files) > limit:
        raise ValidationError(_("Attach at most %(n)d files.") % {"n": limit},
                              code="too_many_files")
    return files


def _store_files(message: Message, files: Iterable[CleanFile]) -> list[Attachment]:
    stored = []
    for clean in files:
        attachment = Attachment(appeal_id=message.appeal_id, message=message,
                                content_type=clean.content_type, size=len(clean.content),
                                original_name=clean.name)
        attachment.file.save(f"evidence.{clean.extension}", ContentFile(clean.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _least_busy(group: str, *, exclude: Iterable[int] = ()) -> Account | None:
    open_states = list(Appeal.OPEN_STATES)
    return (Account.objects.filter(groups__name=group, is_active=True, is_staff=True)
            .exclude(pk__in=list(exclude))
            .annotate(open_cases=Count("assigned_appeals",
                                       filter=Q(assigned_appeals__state__in=open_states)))
            .order_by("open_cases", "pk").first())


def _message(appeal: Appeal, *, author: Account | None, role: str, body: str,
             internal: bool = False, files: Sequence[CleanFile] = (),
             now: datetime | None = None) -> Message:
    message = Message.objects.create(appeal=appeal, author=author, author_role=role,
                                     internal=internal, body=body,
                                     created_at=now or timezone.now())
    _store_files(message, files)
    return message
