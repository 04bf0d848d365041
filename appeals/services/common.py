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
from django.utils.translation import gettext_noop

from accounts import notice_texts as nt
from accounts import services as account_services
from accounts.models import Account, StatusEvent
from accounts.notice_texts import Text

from ..models import Appeal, Attachment, Message
from ..uploads import CleanFile

State = Appeal.State
CaseKind = Appeal.Kind
Kind = StatusEvent.Kind

# The one table of allowed moves. Accepted and rejected are decided; closed is final.
# A support conversation decides nothing: the same moves less the decisions.
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


DECISIONS = frozenset({State.ACCEPTED, State.REJECTED})


def allowed_moves(appeal: Appeal) -> frozenset[str]:
    """The states ``appeal`` may move to now (``TRANSITIONS``, less decisions for a
    case that decides nothing)."""
    moves = TRANSITIONS[appeal.state]
    return moves if appeal.decides else moves - DECISIONS


def _move(appeal: Appeal, new_state: str) -> None:
    if new_state not in allowed_moves(appeal):
        raise ValidationError(
            _("This case is %(state)s and cannot move to “%(new)s”.")
            % {"state": appeal.get_state_display(), "new": State(new_state).label},
            code="transition_not_allowed")
    appeal.state = new_state


def _lock(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    # Only the appeal's row is locked ("self"): the hold is a nullable join.
    return (Appeal.objects.select_for_update(of=("self",)).select_related("hold", "account")
            .get(pk=pk))


# The owner's timeline speaks of an appeal's steps as an appeal's; the same
# steps of a conversation or a remedies review have their own words (and no
# webhook: the platform hears about appeals only).
_CASE_EVENTS: dict[str, dict[str, str]] = {
    CaseKind.SUPPORT: {
        Kind.APPEAL_FILED: Kind.SUPPORT_OPENED,
        Kind.APPEAL_IN_REVIEW: Kind.CASE_IN_REVIEW,
        Kind.APPEAL_AWAITING_USER: Kind.CASE_AWAITING_USER,
        Kind.APPEAL_USER_REPLIED: Kind.CASE_USER_REPLIED,
        Kind.APPEAL_ESCALATED: Kind.CASE_ESCALATED,
        Kind.APPEAL_REMINDED: Kind.CASE_REMINDED,
        Kind.APPEAL_CLOSED: Kind.CASE_CLOSED,
    },
    CaseKind.REMEDIES: {
        Kind.APPEAL_FILED: Kind.REMEDIES_COMPLETED,
        Kind.APPEAL_IN_REVIEW: Kind.CASE_IN_REVIEW,
        Kind.APPEAL_AWAITING_USER: Kind.CASE_AWAITING_USER,
        Kind.APPEAL_USER_REPLIED: Kind.CASE_USER_REPLIED,
        Kind.APPEAL_ESCALATED: Kind.CASE_ESCALATED,
        Kind.APPEAL_REMINDED: Kind.CASE_REMINDED,
        Kind.APPEAL_ACCEPTED: Kind.REMEDIES_ACCEPTED,
        Kind.APPEAL_REJECTED: Kind.REMEDIES_REJECTED,
        Kind.APPEAL_CLOSED: Kind.CASE_CLOSED,
    },
}
# Every event kind a case writes (its progress on the owner's case page).
CASE_EVENT_KINDS = frozenset(
    {kind for kind in Kind.values if kind.startswith("appeal_")}
    | {kind for steps in _CASE_EVENTS.values() for kind in steps.values()})


def _event(appeal: Appeal, kind: str, acting_user: Account | None, **data: Any) -> StatusEvent:
    """Record a step of ``appeal`` (named as an appeal's step; see ``_CASE_EVENTS``)."""
    kind = _CASE_EVENTS.get(appeal.kind, {}).get(kind, kind)
    return account_services.event_record(
        account=appeal.account, kind=kind, acting_user=acting_user, hold=appeal.hold,
        data={"appeal": appeal.pk, "case": appeal.kind, **data})


def _notify(account: Account, title: Text | str, body: Text | str = "", url: str = "") -> None:
    account_services.notice_send(account=account, title=title, body=body, url=url)


# What the owner is told at each step, per kind of case: (title, body) message
# ids; a body of None means the staff member's own words are sent as written.
_OWNER_NOTICES: dict[str, dict[str, tuple[str, str | None]]] = {
    "filed": {
        CaseKind.APPEAL: (gettext_noop("We received your appeal"),
                          gettext_noop("A person will review it. You can follow each step on "
                                       "the appeal page.")),
        CaseKind.SUPPORT: (gettext_noop("We received your message"),
                           gettext_noop("A person from support will answer on the conversation "
                                        "page by %(due)s.")),
        CaseKind.REMEDIES: (gettext_noop("Your steps are done: staff review the limit"),
                            gettext_noop("A person checks what you did and lifts the limit. We "
                                         "aim to answer by %(due)s.")),
    },
    "staff_message": {
        CaseKind.APPEAL: (gettext_noop("New message about your appeal"), None),
        CaseKind.SUPPORT: (gettext_noop("Support answered you"), None),
        CaseKind.REMEDIES: (gettext_noop("New message about your limit"), None),
    },
    "asked": {
        CaseKind.APPEAL: (gettext_noop("Your appeal needs more information"),
                          gettext_noop("%(question)s\n\nAnswer by %(answer_by)s.")),
        CaseKind.SUPPORT: (gettext_noop("Support needs more information"),
                           gettext_noop("%(question)s\n\nAnswer by %(answer_by)s.")),
        CaseKind.REMEDIES: (gettext_noop("Staff need more information to lift your limit"),
                            gettext_noop("%(question)s\n\nAnswer by %(answer_by)s.")),
    },
    "accepted": {
        CaseKind.APPEAL: (gettext_noop("Your appeal was accepted"), None),
        CaseKind.REMEDIES: (gettext_noop("Your limit was lifted"), None),
    },
    "rejected": {
        CaseKind.APPEAL: (gettext_noop("Your appeal was rejected"), None),
        CaseKind.REMEDIES: (gettext_noop("The limit stays for now"), None),
    },
    "resolved": {
        CaseKind.SUPPORT: (gettext_noop("Support closed your conversation"), None),
    },
    "closed_unanswered": {
        CaseKind.APPEAL: (gettext_noop("Your appeal was closed"),
                          gettext_noop("We did not hear back from you, so the appeal was closed. "
                                       "You can file a new one with your answer.")),
        CaseKind.SUPPORT: (gettext_noop("Your conversation was closed"),
                           gettext_noop("We did not hear back from you, so the conversation was "
                                        "closed. You can start a new one at any time.")),
        CaseKind.REMEDIES: (gettext_noop("The review of your limit was closed"),
                            gettext_noop("We did not hear back from you. Contact support when "
                                         "you have the answer.")),
    },
    "closed_lifted": {
        CaseKind.APPEAL: (gettext_noop("The limit you appealed was lifted"),
                          gettext_noop("Your appeal is closed because the limit it was about has "
                                       "been lifted. There is nothing more to do.")),
        CaseKind.REMEDIES: (gettext_noop("Your limit was lifted"),
                            gettext_noop("The review is closed because the limit has been "
                                         "lifted. There is nothing more to do.")),
    },
    "reminder": {
        CaseKind.APPEAL: (gettext_noop("Reminder: your appeal is waiting for your answer"),
                          gettext_noop("Staff are waiting for your answer. Without one, the "
                                       "appeal closes on %(answer_by)s.")),
        CaseKind.SUPPORT: (gettext_noop("Reminder: support is waiting for your answer"),
                           gettext_noop("Support is waiting for your answer. Without one, the "
                                        "conversation closes on %(answer_by)s.")),
        CaseKind.REMEDIES: (gettext_noop("Reminder: staff are waiting for your answer"),
                            gettext_noop("Staff are waiting for your answer. Without one, the "
                                         "review closes on %(answer_by)s.")),
    },
}


def _notify_owner(appeal: Appeal, step: str, staff_words: str = "", **params: Any) -> None:
    """Tell the owner about ``step`` of ``appeal``, in whatever language they read it.

    The fixed words are kept as message ids (``accounts.notice_texts``); a
    staff member's words (``staff_words``) are sent as written.
    """
    by_kind = _OWNER_NOTICES[step]
    title_id, body_id = by_kind.get(appeal.kind) or by_kind[CaseKind.APPEAL]
    title = nt.text(title_id)
    body: Text | str = staff_words
    if body_id is not None:
        body = nt.text(body_id, **params)
    account_services.notice_send(
        account=appeal.account, title=title, body=body,
        url=reverse("appeals:detail", args=[appeal.pk]))


def _translated(account: Account, message: str) -> str:
    """``message`` in ``account``'s language (for texts that must be written once)."""
    with translation.override(account.language):
        return _(message)


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
    """Write each checked file (0600, random name) and its Attachment row.

    The files are written inside the caller's transaction; if it rolls back
    or the process dies before the commit, no row owns them and the files
    sweeper (``portal.files.storage.sweep``) deletes them after its grace period.
    """
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
