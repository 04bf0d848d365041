"""Every write to appeals, their threads and evidence goes through here.

Each service locks the appeal row (``select_for_update``), checks the move
against ``TRANSITIONS``, writes the change, appends a StatusEvent through
``accounts.services.event_record`` and tells the owner through
``accounts.services.notice_send`` (in-portal notice, email on commit).
Staff who act on an appeal must hold its claim: the lock is checked under
the row lock, so two staff can never both decide one case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import CATALOG, Level

from .models import MESSAGE_MAX_LENGTH, Appeal, Attachment, Message
from .uploads import CleanFile

logger = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=5)
State = Appeal.State
Kind = StatusEvent.Kind

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
    return Appeal.objects.select_for_update().select_related("hold", "account").get(pk=pk)


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


# ---------------------------------------------------------------------------
# Eligibility (also used by the filing page to explain the rules)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Eligibility:
    """Whether ``hold`` can be appealed now, and if not, why and until when."""

    allowed: bool
    code: str = ""
    message: str = ""
    open_appeal: Appeal | None = None
    available_at: datetime | None = None

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise ValidationError(self.message, code=self.code)


def appeal_eligibility(*, hold: Hold, account: Account, now: datetime | None = None) -> Eligibility:
    """Apply the filing rules: owner, active, appealable, one open, one re-appeal later."""
    now = now or timezone.now()
    reason = CATALOG[hold.reason]
    if hold.account_id != account.pk:
        return Eligibility(False, "not_your_hold", _("This limit is not on your account."))
    if not hold.is_active:
        return Eligibility(False, "hold_not_active",
                           _("This limit was already lifted, so there is nothing to appeal."))
    if not reason.appealable:
        return Eligibility(False, "not_appealable",
                           _("This kind of limit cannot be appealed. Use the steps shown on "
                             "your status page instead."))
    previous = list(Appeal.objects.filter(hold=hold).order_by("created_at", "pk"))
    open_appeal = next((a for a in previous if a.is_open), None)
    if open_appeal:
        return Eligibility(False, "already_open",
                           _("You already have an open appeal for this limit. Add to it "
                             "instead of filing a new one."), open_appeal=open_appeal)
    rejected = [a for a in previous if a.decision == Appeal.Decision.REJECTED]
    if not rejected:
        return Eligibility(True)
    if reason.appeal_is_final:
        return Eligibility(False, "final",
                           _("Your appeal was reviewed and rejected, and for this kind of limit "
                             "that decision is final."))
    if len(rejected) >= 2:
        return Eligibility(False, "no_more_appeals",
                           _("You have already appealed this limit again after a rejection. "
                             "Each limit can be re-appealed once."))
    available_at = rejected[-1].decided_at + settings.PORTAL_APPEAL_COOLDOWN
    if now < available_at:
        when = formats.date_format(timezone.localtime(available_at), "DATETIME_FORMAT")
        return Eligibility(False, "cooldown",
                           _("Your appeal was rejected. You can appeal once more from %(when)s, "
                             "if you have new information.") % {"when": when},
                           available_at=available_at)
    return Eligibility(True)


# ---------------------------------------------------------------------------
# Filing and triage
# ---------------------------------------------------------------------------
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


@transaction.atomic
def appeal_file(
    *,
    account: Account,
    hold: Hold,
    category: str,
    statement: str,
    acting_user: Account,
    files: Sequence[CleanFile] = (),
    now: datetime | None = None,
) -> Appeal:
    """File an appeal against one of the owner's active holds."""
    now = now or timezone.now()
    statement = _text_or_error(statement, limit=settings.PORTAL_APPEAL_STATEMENT_MAX,
                               field=_("statement"))
    if category not in Appeal.Category.values:
        raise ValidationError(_("Choose what the appeal is about."), code="unknown_category")
    files = _files_or_error(files)
    # Lock the hold so two filings for one hold are serialised; the unique
    # constraint is the last line of defence.
    Account.objects.select_for_update().filter(pk=account.pk).first()  # same order as hold_lift
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    appeal_eligibility(hold=hold, account=account, now=now).raise_if_refused()
    reason = CATALOG[hold.reason]
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                account=account, hold=hold, reason=hold.reason, category=category,
                statement=statement, created_at=now, sla_due_at=now + reason.appeal_sla)
    except IntegrityError:
        raise ValidationError(_("You already have an open appeal for this limit."),
                              code="already_open") from None
    message = Message.objects.create(appeal=appeal, author=acting_user,
                                     author_role=Message.Author.USER, body=statement,
                                     created_at=now)
    _store_files(message, files)
    _event(appeal, Kind.APPEAL_FILED, acting_user, category=category)
    _notify_owner(appeal, lambda: _("We received your appeal"),
                  lambda: _("A person will review it. You can follow each step on the appeal "
                            "page."))
    from . import tasks

    tasks.appeal_triage.delay_on_commit(appeal.pk)
    return appeal


def _priority(appeal: Appeal, now: datetime) -> int:
    """Priority from the reason (severity, money, takeover) and the account's history."""
    reason = CATALOG[appeal.reason]
    priority = Appeal.Priority.NORMAL
    if appeal.hold.level == Level.FROZEN or appeal.reason in ("theft_risk", "suspicious_signin"):
        priority = Appeal.Priority.HIGH
    money_at_stake = "withdraw" in appeal.hold.blocked_features
    if appeal.hold.level == Level.BANNED or (
            appeal.reason in ("theft_risk", "payment_anomaly") and money_at_stake):
        priority = Appeal.Priority.URGENT
    history = Hold.objects.filter(account_id=appeal.account_id).exclude(pk=appeal.hold_id)
    past_holds = history.count()
    rejected_before = Appeal.objects.filter(account_id=appeal.account_id,
                                            decision=Appeal.Decision.REJECTED).count()
    if past_holds >= 3 or rejected_before:
        priority -= 1  # a repeated pattern is less likely a mistake
    if past_holds == 0 and reason.appeal_sla.total_seconds() <= 24 * 3600:
        priority += 1  # a clean account under a fast-SLA reason: likely a mis-freeze
    return max(Appeal.Priority.LOW, min(Appeal.Priority.URGENT, priority))


def _least_busy(group: str, *, exclude: Iterable[int] = ()) -> Account | None:
    open_states = list(Appeal.OPEN_STATES)
    return (Account.objects.filter(groups__name=group, is_active=True, is_staff=True)
            .exclude(pk__in=list(exclude))
            .annotate(open_cases=Count("assigned_appeals",
                                       filter=Q(assigned_appeals__state__in=open_states)))
            .order_by("open_cases", "pk").first())


@transaction.atomic
def appeal_triage(*, appeal: Appeal, acting_user: Account | None = None,
                  now: datetime | None = None) -> Appeal:
    """Set priority and assign the officer with the fewest open cases. Runs once."""
    now = now or timezone.now()
    appeal = _lock(appeal)
    if appeal.triaged_at is not None or not appeal.is_open:
        return appeal
    appeal.priority = _priority(appeal, now)
    if appeal.assignee_id is None:
        appeal.assignee = _least_busy(settings.PORTAL_APPEAL_OFFICER_GROUP)
    appeal.triaged_at = now
    appeal.save(update_fields=["priority", "assignee", "triaged_at"])
    return appeal


# ---------------------------------------------------------------------------
# Claims: a lock with a timeout
# ---------------------------------------------------------------------------
def appeal_claim_live(appeal: Appeal, now: datetime) -> bool:
    """Return whether someone holds a claim on ``appeal`` that has not lapsed."""
    return (appeal.claimed_by_id is not None and appeal.claimed_at is not None
            and appeal.claimed_at + settings.PORTAL_APPEAL_CLAIM_TIMEOUT > now)


def _require_staff(acting_user: Account) -> None:
    if acting_user is None or not acting_user.has_perm("appeals.change_appeal"):
        raise ValidationError(_("You do not have permission to work on appeals."),
                              code="permission_denied")


def _take_claim(appeal: Appeal, acting_user: Account, now: datetime) -> None:
    """Hold the claim for ``acting_user`` or refuse if a colleague holds a live one."""
    if appeal_claim_live(appeal, now) and appeal.claimed_by_id != acting_user.pk:
        raise ValidationError(
            _("%(name)s is working on this appeal (claimed at %(at)s). Wait for them to "
              "release it or for the claim to lapse.")
            % {"name": appeal.claimed_by, "at": formats.date_format(
                timezone.localtime(appeal.claimed_at), "DATETIME_FORMAT")},
            code="claimed_by_other")
    appeal.claimed_by, appeal.claimed_at = acting_user, now
    if appeal.assignee_id is None:
        appeal.assignee = acting_user


def _require_open(appeal: Appeal) -> None:
    if not appeal.is_open:
        who = appeal.decided_by or _("someone else")
        raise ValidationError(
            _("This appeal is already %(state)s (by %(who)s). Nothing was changed.")
            % {"state": appeal.get_state_display(), "who": who}, code="already_decided")


@transaction.atomic
def appeal_claim(*, appeal: Appeal, acting_user: Account, now: datetime | None = None) -> Appeal:
    """Claim an open appeal for review; a submitted one moves to in review."""
    now = now or timezone.now()
    _require_staff(acting_user)
    appeal = _lock(appeal)
    _require_open(appeal)
    _take_claim(appeal, acting_user, now)
    if appeal.state == State.SUBMITTED:
        _move(appeal, State.IN_REVIEW)
        _event(appeal, Kind.APPEAL_IN_REVIEW, acting_user)
    appeal.save(update_fields=["claimed_by", "claimed_at", "assignee", "state"])
    return appeal


@transaction.atomic
def appeal_release(*, appeal: Appeal, acting_user: Account) -> Appeal:
    """Give up a claim (own, or anyone's for a supervisor)."""
    appeal = _lock(appeal)
    if appeal.claimed_by_id is None:
        return appeal
    if appeal.claimed_by_id != acting_user.pk and not acting_user.has_perm(
            "appeals.supervise_appeal"):
        raise ValidationError(
            _("Only the person holding the claim or a supervisor can release it."),
            code="not_your_claim")
    appeal.claimed_by, appeal.claimed_at = None, None
    appeal.save(update_fields=["claimed_by", "claimed_at"])
    return appeal


@transaction.atomic
def appeal_assign(*, appeal: Appeal, acting_user: Account, assignee: Account) -> Appeal:
    """Reassign an open appeal (supervisors); the new assignee must be able to work on it."""
    if not acting_user.has_perm("appeals.supervise_appeal"):
        raise ValidationError(_("Only a supervisor can reassign appeals."),
                              code="permission_denied")
    able = assignee.is_active and assignee.is_staff and assignee.has_perm("appeals.change_appeal")
    if not able:
        raise ValidationError(_("%(name)s cannot work on appeals.") % {"name": assignee},
                              code="bad_assignee")
    appeal = _lock(appeal)
    _require_open(appeal)
    appeal.assignee, appeal.claimed_by, appeal.claimed_at = assignee, None, None
    appeal.save(update_fields=["assignee", "claimed_by", "claimed_at"])
    _message(appeal, author=acting_user, role=Message.Author.STAFF, internal=True,
             body=_("Reassigned to %(name)s.") % {"name": assignee})
    return appeal


# ---------------------------------------------------------------------------
# The thread
# ---------------------------------------------------------------------------
def _message(appeal: Appeal, *, author: Account | None, role: str, body: str,
             internal: bool = False, files: Sequence[CleanFile] = (),
             now: datetime | None = None) -> Message:
    message = Message.objects.create(appeal=appeal, author=author, author_role=role,
                                     internal=internal, body=body,
                                     created_at=now or timezone.now())
    _store_files(message, files)
    return message


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
        _notify_owner(appeal, lambda: _("New message about your appeal"), body)
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
    _notify_owner(appeal, lambda: _("Your appeal needs more information"), body)
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


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------
def hold_needs_supervisor(hold: Hold) -> bool:
    """Return whether lifting ``hold`` needs the supervisor permission (ban, legal)."""
    return hold.level == Level.BANNED or hold.reason == "legal"


@transaction.atomic
def appeal_decide(
    *, appeal: Appeal, acting_user: Account, decision: str, message: str,
    now: datetime | None = None,
) -> Appeal:
    """Accept (lift the hold) or reject (keep it) with a message to the owner."""
    now = now or timezone.now()
    _require_staff(acting_user)
    if decision not in (Appeal.Decision.ACCEPTED, Appeal.Decision.REJECTED):
        raise ValidationError(_("Choose accept or reject."), code="unknown_decision")
    message = _text_or_error(message, limit=MESSAGE_MAX_LENGTH, field=_("decision message"))
    appeal = _lock(appeal)
    _require_open(appeal)
    _take_claim(appeal, acting_user, now)
    if decision == Appeal.Decision.ACCEPTED and hold_needs_supervisor(appeal.hold) \
            and not acting_user.has_perm("accounts.lift_protected_hold"):
        raise ValidationError(_("Only a supervisor can accept an appeal against a ban or a "
                                "legal hold. Escalate it instead."), code="needs_supervisor")
    _move(appeal, decision)
    appeal.decision, appeal.decided_at, appeal.decided_by = decision, now, acting_user
    appeal.decision_message = message
    appeal.claimed_by, appeal.claimed_at, appeal.awaiting_since = None, None, None
    appeal.save()
    _message(appeal, author=acting_user, role=Message.Author.STAFF, body=message, now=now)
    if decision == Appeal.Decision.ACCEPTED:
        _event(appeal, Kind.APPEAL_ACCEPTED, acting_user)
        if appeal.hold.is_active:
            account_services.hold_lift(hold=appeal.hold, acting_user=acting_user,
                                       lift_reason=Hold.LiftReason.APPEAL_ACCEPTED,
                                       note=_("Appeal #%(pk)s accepted") % {"pk": appeal.pk},
                                       by_flow=True)
        _notify_owner(appeal, lambda: _("Your appeal was accepted"), message)
    else:
        _event(appeal, Kind.APPEAL_REJECTED, acting_user)
        _notify_owner(appeal, lambda: _("Your appeal was rejected"), message)
    return appeal


@transaction.atomic
def appeal_escalate(*, appeal: Appeal, acting_user: Account | None, note: str = "",
                    now: datetime | None = None) -> Appeal:
    """Hand an open appeal to the least busy supervisor and tell the supervisors."""
    now = now or timezone.now()
    if acting_user is not None:
        _require_staff(acting_user)
    appeal = _lock(appeal)
    _require_open(appeal)
    if acting_user is not None and not acting_user.has_perm("appeals.supervise_appeal"):
        _take_claim(appeal, acting_user, now)  # refuses if a colleague holds the case
    if appeal.escalated_at is not None:
        if acting_user is None:
            return appeal  # the beat task already did it: nothing to do
        raise ValidationError(_("This appeal was already escalated."), code="already_escalated")
    supervisor = _least_busy(settings.PORTAL_APPEAL_SUPERVISOR_GROUP)
    appeal.escalated_at = now
    if supervisor is not None:
        appeal.assignee = supervisor
    appeal.claimed_by, appeal.claimed_at = None, None
    appeal.save(update_fields=["escalated_at", "assignee", "claimed_by", "claimed_at"])

    def why() -> str:
        # A staff note is sent as written; the fixed text in the reader's language.
        return note.strip() or _("The answer is overdue (due %(due)s).") % {
            "due": formats.date_format(timezone.localtime(appeal.sla_due_at), "DATETIME_FORMAT")}

    _message(appeal, author=acting_user, role=Message.Author.STAFF, internal=True,
             body=_("Escalated: %(why)s") % {"why": why()}, now=now)
    _event(appeal, Kind.APPEAL_ESCALATED, acting_user, sla_due_at=appeal.sla_due_at.isoformat())
    url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    for staff in Account.objects.filter(groups__name=settings.PORTAL_APPEAL_SUPERVISOR_GROUP,
                                        is_active=True):
        with translation.override(staff.language):
            _notify(staff, _("Appeal #%(pk)s escalated to supervisors") % {"pk": appeal.pk},
                    why(), url)
    return appeal


@transaction.atomic
def appeal_remind(*, appeal: Appeal, now: datetime | None = None) -> bool:
    """Remind an owner who has not answered a question; once per question."""
    now = now or timezone.now()
    appeal = _lock(appeal)
    if (appeal.state != State.AWAITING_USER or appeal.reminded_at is not None
            or appeal.awaiting_since is None
            or appeal.awaiting_since + settings.PORTAL_APPEAL_REMIND_AFTER > now):
        return False
    appeal.reminded_at = now
    appeal.save(update_fields=["reminded_at"])
    _event(appeal, Kind.APPEAL_REMINDED, None)
    close_on = appeal.awaiting_since + settings.PORTAL_APPEAL_CLOSE_AFTER
    with translation.override(appeal.account.language):
        body = _("Staff are waiting for your answer. Without one, the appeal closes on "
                 "%(when)s.") % {"when": formats.date_format(timezone.localtime(close_on),
                                                            "DATETIME_FORMAT")}
    _notify_owner(appeal, lambda: _("Reminder: your appeal is waiting for your answer"), body)
    return True


@transaction.atomic
def appeal_close(*, appeal: Appeal, acting_user: Account | None, note: str = "",
                 now: datetime | None = None) -> Appeal:
    """Close a decided appeal, or one left waiting for the owner's answer."""
    now = now or timezone.now()
    appeal = _lock(appeal)
    if appeal.state == State.CLOSED:
        return appeal
    _move(appeal, State.CLOSED)
    appeal.closed_at, appeal.claimed_by, appeal.claimed_at = now, None, None
    appeal.save(update_fields=["state", "closed_at", "claimed_by", "claimed_at"])
    _event(appeal, Kind.APPEAL_CLOSED, acting_user, note=note, decision=appeal.decision)
    if not appeal.decision:
        _notify_owner(appeal, lambda: _("Your appeal was closed"),
                      lambda: _("We did not hear back from you, so the appeal was closed. You "
                                "can file a new one with your answer."))
    return appeal


# ---------------------------------------------------------------------------
# Sweeps run by beat
# ---------------------------------------------------------------------------
def _each(pks: Iterable[int], action) -> int:
    """Run ``action`` per appeal in its own transaction; skip ones that moved on."""
    done = 0
    for pk in list(pks):
        try:
            if action(pk) is not False:
                done += 1
        except ValidationError as error:
            logger.info("Skipped appeal %s: %s", pk, error.messages)
    return done


def appeals_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate every open appeal past its SLA that is not escalated yet."""
    now = now or timezone.now()
    due = Appeal.objects.filter(state__in=Appeal.OPEN_STATES, escalated_at__isnull=True,
                                sla_due_at__lte=now).values_list("pk", flat=True)
    return _each(due, lambda pk: appeal_escalate(appeal=pk, acting_user=None, now=now))


def appeals_remind_silent(*, now: datetime | None = None) -> int:
    """Remind owners who have not answered a question for the reminder period."""
    now = now or timezone.now()
    due = Appeal.objects.filter(
        state=State.AWAITING_USER, reminded_at__isnull=True,
        awaiting_since__lte=now - settings.PORTAL_APPEAL_REMIND_AFTER).values_list("pk", flat=True)
    return _each(due, lambda pk: appeal_remind(appeal=pk, now=now))


def appeals_close_abandoned(*, now: datetime | None = None) -> int:
    """Close appeals left waiting for the owner, and decided ones, after the close period."""
    now = now or timezone.now()
    cutoff = now - settings.PORTAL_APPEAL_CLOSE_AFTER
    silent = Appeal.objects.filter(state=State.AWAITING_USER, awaiting_since__lte=cutoff)
    decided = Appeal.objects.filter(state__in=[State.ACCEPTED, State.REJECTED],
                                    decided_at__lte=cutoff)
    found = [*silent.values_list("pk", flat=True), *decided.values_list("pk", flat=True)]
    return _each(found, lambda pk: appeal_close_if_abandoned(appeal=pk, now=now))


@transaction.atomic
def appeal_close_if_abandoned(*, appeal: Appeal | int, now: datetime) -> bool:
    """Close an appeal the sweep found, if it still qualifies under the lock:
    the owner may have answered (or staff asked again) since the sweep's query."""
    appeal = _lock(appeal)
    cutoff = now - settings.PORTAL_APPEAL_CLOSE_AFTER
    if appeal.state == State.AWAITING_USER and appeal.awaiting_since <= cutoff:
        note = "no answer from the user"
    elif appeal.state in (State.ACCEPTED, State.REJECTED) and appeal.decided_at <= cutoff:
        note = "decided; archived"
    else:
        return False
    appeal_close(appeal=appeal, acting_user=None, note=note, now=now)
    return True


def appeals_close_for_lifted_hold(hold: Hold, *, now: datetime | None = None) -> int:
    """Close the open appeals of a hold that was lifted some other way.

    A hold cleared by verification, by staff or by expiry leaves nothing to
    decide; the owner is told the limit is gone. Listener of
    ``PORTAL_HOLD_LIFT_LISTENERS`` (run on the review queue after the lift).
    """
    if hold.is_active or hold.lift_reason == Hold.LiftReason.APPEAL_ACCEPTED:
        return 0
    pks = Appeal.objects.filter(hold=hold, state__in=Appeal.OPEN_STATES).values_list(
        "pk", flat=True)
    return _each(pks, lambda pk: _appeal_close_resolved(appeal=pk, hold=hold, now=now))


@transaction.atomic
def _appeal_close_resolved(*, appeal: int, hold: Hold, now: datetime | None) -> bool:
    appeal = _lock(appeal)
    if appeal.state not in Appeal.OPEN_STATES:
        return False  # decided or closed meanwhile
    _move(appeal, State.CLOSED)
    appeal.closed_at, appeal.claimed_by, appeal.claimed_at = now or timezone.now(), None, None
    appeal.save(update_fields=["state", "closed_at", "claimed_by", "claimed_at"])
    _event(appeal, Kind.APPEAL_CLOSED, None, note="hold lifted", lift_reason=hold.lift_reason)
    _notify_owner(appeal, lambda: _("The limit you appealed was lifted"),
                  lambda: _("Your appeal is closed because the limit it was about has been "
                            "lifted. There is nothing more to do."))
    return True


def appeals_triage_pending(*, now: datetime | None = None) -> int:
    """Triage appeals whose triage task was lost (e.g. the broker was down)."""
    now = now or timezone.now()
    stuck = Appeal.objects.filter(triaged_at__isnull=True, state__in=Appeal.OPEN_STATES,
                                  created_at__lte=now - STUCK_AFTER).values_list("pk", flat=True)
    return _each(stuck, lambda pk: appeal_triage(appeal=pk, now=now))
