"""The derived status, stored on the account in the same transaction as the change."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import outbox
from ..models import Account, Hold, StatusEvent
from ..status import BLOCKING_FIELDS, blocking_summary, derive_status
from .events import event_record

Kind = StatusEvent.Kind


def _lock_account(account: Account | int) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    return Account.objects.select_for_update().get(pk=pk)

@transaction.atomic
def account_recompute_status(
    *, account: Account, acting_user: Account | None, locked: bool = False
) -> Account:
    """Store the status derived from the active holds; log a change.

    The version also moves when only the blocking holds change (another hold
    with the same features, a lift that leaves the status as it was), so the
    cached snapshot that answers "may" never names a lifted hold.
    """
    if not locked:
        account = _lock_account(account)
    rows = list(
        Hold.objects.active().filter(account=account).order_by("placed_at", "pk")
        .values_list(*BLOCKING_FIELDS)
    )
    derived = derive_status((level, features) for _pk, _r, level, features, *_rest in rows)
    blocking = blocking_summary(rows)
    status_changed = (
        derived.status != account.status or derived.blocked_features != account.blocked_features
    )
    if not status_changed and blocking == account.blocking_holds:
        return account

    old_status = account.status
    account.status = derived.status
    account.blocked_features = derived.blocked_features
    account.blocking_holds = blocking
    account.status_version += 1
    fields = ["status", "blocked_features", "blocking_holds", "status_version"]
    if status_changed:
        account.status_changed_at = timezone.now()
        fields.append("status_changed_at")
    account.save(update_fields=fields)
    if status_changed:
        event_record(
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
    outbox.call("status_cache.refresh", account.pk)
    return account
