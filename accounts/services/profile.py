"""The owner's own settings and actions on their account."""

from __future__ import annotations

from ..models import Account, StatusEvent
from .events import event_record

Kind = StatusEvent.Kind

def account_password_changed(*, account: Account) -> None:
    """Record that the owner changed their password (securing the account)."""
    event_record(account=account, kind=Kind.PASSWORD_CHANGED, acting_user=account)


def account_set_language(*, account: Account, language: str) -> None:
    """Remember the language notices and emails are written in."""
    if account.language != language:
        Account.objects.filter(pk=account.pk).update(language=language)
