"""The derived status, stored on the account in the same transaction as the change."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import outbox
from ..models import Account, Hold, StatusEvent
from ..status import derive_status
from .events import event_record

Kind = StatusEvent.Kind


def _lock_account(account: Account | int) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    return Account.objects.select_for_update().get(pk=pk)

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
