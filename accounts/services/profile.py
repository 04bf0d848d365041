"""The owner's own settings and actions on their account."""

from __future__ import annotations

from django.utils import timezone

from ..models import Account, StatusEvent
from .events import event_record

Kind = StatusEvent.Kind

def account_password_changed(*, account: Account) -> None:
    """Record that the owner changed their password (securing the account)."""
    event_record(account=account, kind=Kind.PASSWORD_CHANGED, acting_user=account)


def account_set_language(*, account: Account, language: str, chosen: bool = True) -> None:
    """Remember the language pages, notices and emails are written in.

    ``chosen`` (the switcher) makes it the account's language on every
    device; otherwise (adopted at sign-in from the browser) it only sets the
    language of notices and emails until the owner chooses one.
    """
    fields: dict[str, object] = {"language": language}
    if chosen:
        fields["language_chosen_at"] = timezone.now()
    elif account.language_chosen_at is not None or account.language == language:
        return
    Account.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)


def account_data_exported(*, account: Account, fmt: str) -> None:
    """Record that the owner downloaded their data (it is in their timeline)."""
    event_record(account=account, kind=Kind.DATA_EXPORTED, acting_user=account,
                 data={"format": fmt})
