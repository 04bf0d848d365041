"""Every write to holds, account status and the event log goes through here.

Each service locks the account row (``select_for_update``) before it reads
the holds, so two concurrent changes to one account are serialised and the
stored status is always the one derived from the holds it committed with.
Side effects (notices, email, webhooks, cache) run on commit only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Account, Hold, Notice, StatusEvent
from .reasons import CATALOG, LEVEL_RANK, Feature, Reason, reasons_with_remedy
from .status import derive_status

logger = logging.getLogger(__name__)
Kind = StatusEvent.Kind


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------
def event_record(
    *,
    account: Account,
    kind: str,
    acting_user: Account | None,
    hold: Hold | None = None,
    data: dict[str, Any] | None = None,
) -> StatusEvent:
    """Append one event to the account's log. The only way events are written."""
    if kind not in Kind.values:
        raise ValidationError(
            _("Unknown event kind %(kind)s.") % {"kind": kind}, code="unknown_kind"
        )
    return StatusEvent.objects.create(
        account=account, kind=kind, acting_user=acting_user, hold=hold, data=data or {}
    )


# ---------------------------------------------------------------------------
# Validation of hold requests (before anything is written)
# ---------------------------------------------------------------------------
def _reason_or_error(code: str) -> Reason:
    reason = CATALOG.get(code)
    if reason is None:
        raise ValidationError(
            _("Unknown reason code “%(code)s”.") % {"code": code}, code="unknown_reason"
        )
    return reason


def _features_or_error(features: Iterable[str] | None, reason: Reason) -> list[str]:
    if features is None:
        return list(reason.features)
    features = list(dict.fromkeys(features))
    unknown = [f for f in features if f not in Feature.values]
    if unknown:
        raise ValidationError(
            _("Unknown feature: %(names)s.") % {"names": ", ".join(map(str, unknown))},
            code="unknown_feature",
        )
    if not features:
        raise ValidationError(_("A hold must block at least one feature."), code="no_features")
    return features


def _level_or_error(level: str | None, reason: Reason) -> str:
    if level is None:
        return reason.level
    if level not in reason.levels:
        raise ValidationError(
            _("Level “%(level)s” is not allowed for this reason.") % {"level": level},
            code="level_not_allowed",
        )
    return level


def _future_or_error(value: datetime | None, *, now: datetime, field: str) -> datetime | None:
    if value is not None and value <= now:
        raise ValidationError(
            _("The %(field)s must be in the future.") % {"field": field}, code=f"{field}_in_past"
        )
    return value


# ---------------------------------------------------------------------------
# Holds
# ---------------------------------------------------------------------------
def _lock_account(account: Account | int) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    return Account.objects.select_for_update().get(pk=pk)


@transaction.atomic
def hold_place(
    *,
    account: Account,
    reason: str,
    acting_user: Account | None,
    source: str = Hold.Source.STAFF,
    features: Iterable[str] | None = None,
    level: str | None = None,
    deadline: datetime | None = None,
    expires_at: datetime | None = None,
    public_message: str = "",
    internal_note: str = "",
    request_key: str | None = None,
    now: datetime | None = None,
) -> Hold:
    """Place a hold on ``account`` and recompute its status.

    With ``request_key`` the call is idempotent: a second call with the same
    key returns the hold the first one placed.
    """
    now = now or timezone.now()
    catalog = _reason_or_error(reason)
    features = _features_or_error(features, catalog)
    level = _level_or_error(level, catalog)
    if source not in Hold.Source.values:
        raise ValidationError(_("Unknown source “%(s)s”.") % {"s": source}, code="unknown_source")
    deadline = _future_or_error(deadline, now=now, field="deadline")
    expires_at = _future_or_error(expires_at, now=now, field="expiry")
    if deadline is not None and catalog.escalates_to is None:
        raise ValidationError(
            _("This reason has no escalation, so a deadline cannot be set."),
            code="deadline_not_applicable",
        )

    account = _lock_account(account)
    # Checked under the account lock: a concurrent retry with the same key
    # waits here and then finds the first hold.
    if request_key and (existing := Hold.objects.filter(request_key=request_key).first()):
        if existing.account_id != account.pk or existing.reason != reason:
            raise ValidationError(
                _("This idempotency key was already used for a different request."),
                code="request_key_reused",
            )
        return existing

    hold = Hold.objects.create(
        account=account,
        reason=reason,
        level=level,
        blocked_features=features,
        source=source,
        placed_at=now,
        placed_by=acting_user,
        deadline=deadline,
        expires_at=expires_at,
        public_message=public_message,
        internal_note=internal_note,
        request_key=request_key or None,
    )
    event_record(
        account=account,
        kind=Kind.HOLD_PLACED,
        acting_user=acting_user,
        hold=hold,
        data={"reason": reason, "level": level, "features": features, "source": source},
    )
    account_recompute_status(account=account, acting_user=acting_user, locked=True)
    _notify_on_commit(account, kind=Kind.HOLD_PLACED, hold_id=hold.pk)
    return hold


@transaction.atomic
def hold_lift(
    *,
    hold: Hold,
    acting_user: Account | None,
    lift_reason: str,
    note: str = "",
    now: datetime | None = None,
    by_flow: bool = False,
) -> Hold:
    """Lift an active hold and recompute the account's status.

    Only the flows that own them (verification, appeals, expiry) pass
    ``by_flow=True`` to record their reasons; other callers may record
    ``Hold.MANUAL_LIFT_REASONS`` only.
    """
    if lift_reason not in Hold.LiftReason.values:
        raise ValidationError(
            _("Unknown lift reason “%(r)s”.") % {"r": lift_reason}, code="unknown_lift_reason"
        )
    if not by_flow and lift_reason not in Hold.MANUAL_LIFT_REASONS:
        raise ValidationError(
            _("“%(r)s” is recorded by its own flow; a lift by hand is “staff” or “paid”.")
            % {"r": lift_reason},
            code="lift_reason_not_allowed",
        )
    account = _lock_account(hold.account_id)
    hold = Hold.objects.get(pk=hold.pk)  # fresh, under the account lock
    if not hold.is_active:
        raise ValidationError(_("This hold has already been lifted."), code="already_lifted")

    hold.lifted_at = now or timezone.now()
    hold.lifted_by = acting_user
    hold.lift_reason = lift_reason
    hold.lift_note = note
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "lift_note"])
    event_record(
        account=account,
        kind=Kind.HOLD_LIFTED,
        acting_user=acting_user,
        hold=hold,
        data={"reason": hold.reason, "lift_reason": lift_reason},
    )
    account_recompute_status(account=account, acting_user=acting_user, locked=True)
    _notify_on_commit(account, kind=Kind.HOLD_LIFTED, hold_id=hold.pk)
    _lift_listeners_on_commit(hold)
    return hold


@transaction.atomic
def hold_escalate(*, hold: Hold, acting_user: Account | None, now: datetime | None = None) -> Hold:
    """Apply the reason's escalation rule to a hold whose deadline passed."""
    account = _lock_account(hold.account_id)
    hold = Hold.objects.get(pk=hold.pk)
    rule = hold.catalog
    if not hold.is_active:
        raise ValidationError(_("A lifted hold cannot be escalated."), code="already_lifted")
    if hold.escalated_at is not None:
        raise ValidationError(_("This hold was already escalated."), code="already_escalated")
    if rule.escalates_to is None:
        raise ValidationError(_("This reason does not escalate."), code="no_escalation")

    old_level = hold.level
    if LEVEL_RANK[rule.escalates_to] > LEVEL_RANK[hold.level]:
        hold.level = rule.escalates_to
    hold.blocked_features = list(dict.fromkeys([*hold.blocked_features, *rule.escalation_features]))
    hold.escalated_at = now or timezone.now()
    hold.save(update_fields=["level", "blocked_features", "escalated_at"])
    event_record(
        account=account,
        kind=Kind.HOLD_ESCALATED,
        acting_user=acting_user,
        hold=hold,
        data={"old_level": old_level, "new_level": hold.level},
    )
    account_recompute_status(account=account, acting_user=acting_user, locked=True)
    _notify_on_commit(account, kind=Kind.HOLD_ESCALATED, hold_id=hold.pk)
    return hold


def holds_lift_for_remedy(
    *, account: Account, remedy: str, lift_reason: str, acting_user: Account | None, note: str = ""
) -> list[Hold]:
    """Lift every active hold of ``account`` that ``remedy`` clears.

    Used when a remedy succeeds (verification approved lifts every hold
    whose remedies include ``verify``). Runs inside the caller's transaction.
    """
    codes = reasons_with_remedy(remedy)
    holds = Hold.objects.active().filter(account=account, reason__in=codes).order_by("pk")
    return [
        hold_lift(hold=hold, acting_user=acting_user, lift_reason=lift_reason, note=note,
                  by_flow=True)
        for hold in holds
    ]


def holds_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate every active hold whose deadline has passed. Return how many."""
    now = now or timezone.now()
    due = Hold.objects.active().filter(escalated_at__isnull=True, deadline__lte=now)
    return _apply_each(
        due.values_list("pk", flat=True), lambda h: hold_escalate(hold=h, acting_user=None, now=now)
    )


def holds_lift_expired(*, now: datetime | None = None) -> int:
    """Lift every active hold whose expiry has passed. Return how many."""
    now = now or timezone.now()
    due = Hold.objects.active().filter(expires_at__lte=now)
    return _apply_each(
        due.values_list("pk", flat=True),
        lambda h: hold_lift(
            hold=h, acting_user=None, lift_reason=Hold.LiftReason.EXPIRED, now=now, by_flow=True
        ),
    )


def _apply_each(pks: Iterable[int], action) -> int:
    """Run ``action`` on each hold in its own transaction; skip ones that moved on.

    A hold lifted by a person between the query and the action raises a
    ValidationError here; that is the expected race, not a failure.
    """
    done = 0
    for pk in list(pks):
        try:
            action(Hold.objects.get(pk=pk))
            done += 1
        except ValidationError as error:
            logger.info("Skipped hold %s: %s", pk, error.messages)
    return done


# ---------------------------------------------------------------------------
# Derived status
# ---------------------------------------------------------------------------
@transaction.atomic
def account_recompute_status(
    *, account: Account, acting_user: Account | None, locked: bool = False
) -> Account:
    """Store the status derived from the active holds; log a change."""
    if not locked:
        account = _lock_account(account)
    pairs = Hold.objects.active().filter(account=account).values_list("level", "blocked_features")
    derived = derive_status(pairs)
    if derived.status == account.status and derived.blocked_features == account.blocked_features:
        return account

    old_status = account.status
    account.status = derived.status
    account.blocked_features = derived.blocked_features
    account.status_changed_at = timezone.now()
    account.status_version += 1
    account.save(
        update_fields=["status", "blocked_features", "status_changed_at", "status_version"]
    )
    event = event_record(
        account=account,
        kind=Kind.STATUS_CHANGED,
        acting_user=acting_user,
        data={
            "old": old_status,
            "new": derived.status,
            "blocked_features": derived.blocked_features,
            "version": account.status_version,
        },
    )
    _status_changed_on_commit(account, event)
    return account


def _status_changed_on_commit(account: Account, event: StatusEvent) -> None:
    from . import cache, tasks

    snapshot = cache.StatusSnapshot.of(account)
    transaction.on_commit(lambda: cache.status_cache_store(snapshot))
    transaction.on_commit(lambda: tasks.status_changed_fanout.delay(event.pk))


def _lift_listeners_on_commit(hold: Hold) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.holds_after_lift.delay(hold.pk))


def _notify_on_commit(account: Account, *, kind: str, hold_id: int) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.notify_hold_change.delay(account.pk, kind, hold_id))


# ---------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------
def notice_send(
    *,
    account: Account,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
    dedupe_key: str | None = None,
) -> Notice:
    """Create an in-portal notice and, on commit, email the same text.

    With ``dedupe_key`` a second call about the same thing (a task run twice,
    or at once) returns the first notice, and queues its email again only if
    it has not gone out: the first run may have died before queueing it, and
    the email claim (``notice_claim_email``) makes a second send impossible.
    """
    notice = dedupe_key and Notice.objects.filter(dedupe_key=dedupe_key).first()
    if not notice:
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin may win the key
                notice = Notice.objects.create(
                    account=account, title=title, body=body, url=url,
                    dedupe_key=dedupe_key or None,
                )
        except IntegrityError:
            if not dedupe_key:
                raise
            notice = Notice.objects.get(dedupe_key=dedupe_key)
    if email and account.email and notice.emailed_at is None:
        from . import tasks

        transaction.on_commit(lambda: tasks.notify_email_notice.delay(notice.pk))
    return notice


def notice_claim_email(*, notice_id: int, now: datetime | None = None) -> Notice | None:
    """Mark a notice as emailed; return it, or None if it was already claimed."""
    claimed = Notice.objects.filter(pk=notice_id, emailed_at__isnull=True).update(
        emailed_at=now or timezone.now()
    )
    return Notice.objects.select_related("account").get(pk=notice_id) if claimed else None


def notice_release_email(*, notice_id: int) -> None:
    """Undo an email claim after the send failed, so a retry can send it."""
    Notice.objects.filter(pk=notice_id).update(emailed_at=None)


def notices_mark_read(*, account: Account, now: datetime | None = None) -> int:
    """Mark every unread notice of ``account`` read. Return how many."""
    return Notice.objects.filter(account=account, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


# ---------------------------------------------------------------------------
# Account settings
# ---------------------------------------------------------------------------
def account_password_changed(*, account: Account) -> None:
    """Record that the owner changed their password (securing the account)."""
    event_record(account=account, kind=Kind.PASSWORD_CHANGED, acting_user=account)


def account_set_language(*, account: Account, language: str) -> None:
    """Remember the language notices and emails are written in."""
    if account.language != language:
        Account.objects.filter(pk=account.pk).update(language=language)
