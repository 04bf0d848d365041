"""Placing, lifting and escalating holds, one account row lock at a time."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import outbox
from ..models import Account, Hold, StatusEvent
from ..permissions import ScopedClient, may_lift
from ..reasons import CATALOG, LEVEL_RANK, Feature, Reason, reasons_with_remedy
from ..rules import DecisionMode, facts_or_error, rule_for
from .events import event_record
from .status import _lock_account, account_recompute_status

logger = logging.getLogger(__name__)
Kind = StatusEvent.Kind


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


def _decision_mode_or_error(mode: str | None, source: str) -> str:
    """Who decided: as given, else a person for staff holds and a system for the rest."""
    if not mode:
        return DecisionMode.HUMAN if source == Hold.Source.STAFF else DecisionMode.AUTOMATED
    if mode not in DecisionMode.values:
        raise ValidationError(
            _("Say whether a person or an automated system decided (“human” or “automated”)."),
            code="unknown_decision_mode")
    return mode


def _future_or_error(value: datetime | None, *, now: datetime, field: str) -> datetime | None:
    if value is not None and value <= now:
        raise ValidationError(
            _("The %(field)s must be in the future.") % {"field": field}, code=f"{field}_in_past"
        )
    return value


# ---------------------------------------------------------------------------
# Idempotency of keyed requests (API clients' Idempotency-Key)
# ---------------------------------------------------------------------------
def _request_fingerprint(*, account: Account, features: list[str], **request) -> str:
    """Return a digest of what a keyed request asks for, once defaults are applied.

    Two requests that would place the same hold have the same fingerprint
    (the features in any order, the reason's defaults spelled out or not).
    """
    def plain(value):
        return value.isoformat() if isinstance(value, datetime) else value

    canonical = {"account": account.pk, "features": sorted(features),
                 **{name: plain(value) for name, value in request.items()}}
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replayed_or_error(existing: Hold, *, account: Account, reason: str, fingerprint: str) -> Hold:
    """Return the hold a keyed request placed before, or refuse a different request.

    Holds placed before fingerprints were stored have none: for them the
    account and the reason are what can still be compared.
    """
    same = (existing.request_fingerprint == fingerprint if existing.request_fingerprint
            else existing.account_id == account.pk and existing.reason == reason)
    if not same:
        raise ValidationError(
            _("This idempotency key was already used for a different request."),
            code="request_key_reused",
        )
    return existing


# ---------------------------------------------------------------------------
# Holds
# ---------------------------------------------------------------------------
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
    rule: str | None = None,
    facts: dict[str, str] | None = None,
    decision_mode: str | None = None,
    request_key: str | None = None,
    now: datetime | None = None,
) -> Hold:
    """Place a hold on ``account`` and recompute its status.

    ``rule``, ``facts`` and ``decision_mode`` make its statement of reasons:
    the rule applied (the reason's default when omitted), what triggered it
    as the platform supplied it (a small object of texts), and whether a
    person or an automated system decided (from ``source`` when omitted).

    With ``request_key`` the call is idempotent: a second call with the same
    key returns the hold the first one placed.
    """
    now = now or timezone.now()
    catalog = _reason_or_error(reason)
    features = _features_or_error(features, catalog)
    level = _level_or_error(level, catalog)
    if source not in Hold.Source.values:
        raise ValidationError(_("Unknown source “%(s)s”.") % {"s": source}, code="unknown_source")
    rule = rule_for(reason, rule)
    facts = facts_or_error(facts)
    decision_mode = _decision_mode_or_error(decision_mode, source)
    deadline = _future_or_error(deadline, now=now, field="deadline")
    expires_at = _future_or_error(expires_at, now=now, field="expiry")
    if deadline is not None and catalog.escalates_to is None:
        raise ValidationError(
            _("This reason has no escalation, so a deadline cannot be set."),
            code="deadline_not_applicable",
        )

    account = _lock_account(account)
    fingerprint = ""
    if request_key:
        fingerprint = _request_fingerprint(
            account=account, reason=reason, level=level, features=features, source=source,
            deadline=deadline, expires_at=expires_at, public_message=public_message,
            internal_note=internal_note, rule=rule, facts=facts, decision_mode=decision_mode,
        )
        # Checked under the account lock: a concurrent retry with the same key
        # for this account waits here and then finds the first hold.
        if existing := Hold.objects.filter(request_key=request_key).first():
            return _replayed_or_error(existing, account=account, reason=reason,
                                      fingerprint=fingerprint)

    fields = {
        "account": account, "reason": reason, "level": level, "blocked_features": features,
        "source": source, "placed_at": now, "placed_by": acting_user, "deadline": deadline,
        "expires_at": expires_at, "public_message": public_message,
        "internal_note": internal_note, "rule": rule, "facts": facts,
        "decision_mode": decision_mode, "request_key": request_key or None,
        "request_fingerprint": fingerprint,
    }
    try:
        # A savepoint: the same key sent for another account at the same
        # instant is not serialised by our account lock, only by the unique
        # index, and the loser must get a clear refusal rather than a 500.
        with transaction.atomic():
            hold = Hold.objects.create(**fields)
    except IntegrityError:
        existing = Hold.objects.filter(request_key=request_key).first() if request_key else None
        if not existing:
            raise
        return _replayed_or_error(existing, account=account, reason=reason,
                                  fingerprint=fingerprint)
    event_record(
        account=account,
        kind=Kind.HOLD_PLACED,
        acting_user=acting_user,
        hold=hold,
        data={"reason": reason, "level": level, "features": features, "source": source,
              "rule": rule, "decision_mode": decision_mode},
    )
    account_recompute_status(account=account, acting_user=acting_user, locked=True)
    _notify_owner(hold, Kind.HOLD_PLACED)
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
    api_client: ScopedClient | None = None,
) -> Hold:
    """Lift an active hold and recompute the account's status.

    Only the flows that own them (verification, appeals, expiry) pass
    ``by_flow=True`` to record their reasons; other callers may record
    ``Hold.MANUAL_LIFT_REASONS`` only. A ban or a legal hold takes a
    supervisor (``acting_user``) or an API client with the protected-lift
    scope (``api_client``), whoever asks (``permissions.may_lift``).
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
    if not may_lift(hold, acting_user=acting_user, api_client=api_client, by_flow=by_flow):
        raise ValidationError(
            _("Only a supervisor can lift a ban or a legal hold."), code="needs_supervisor"
        )

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
    _notify_owner(hold, Kind.HOLD_LIFTED)
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
    _notify_owner(hold, Kind.HOLD_ESCALATED)
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


def _notify_owner(hold: Hold, kind: str) -> None:
    """Tell the owner about a change of ``hold`` (a notice and an email), once."""
    outbox.task(
        "accounts.tasks.notify_hold_change", hold.account_id, kind, hold.pk,
        dedupe_key=f"hold-notice:{hold.pk}:{kind}",
    )
