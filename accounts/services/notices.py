"""In-portal notices (the bell) and the email that goes out with each."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .. import outbox
from ..models import Account, Notice
from ..notice_texts import Text, stored


@transaction.atomic
def notice_send(
    *,
    account: Account,
    title: Text | str,
    body: Text | str = "",
    url: str = "",
    email: bool = True,
    dedupe_key: str | None = None,
) -> Notice:
    """Create an in-portal notice and record its email in the outbox (same transaction).

    A ``Text`` title or body is kept as its message id and parameters, so
    the notice is shown in whatever language its reader uses; its words in
    the owner's language are stored too (email, admin). A plain ``str`` is
    kept as written (a staff member's message).

    With ``dedupe_key`` a second call about the same thing (a task run twice,
    or at once) returns the first notice; its email is recorded once (the
    outbox's dedupe key) and sent once (the claim, ``notice_claim_email``).
    """
    notice = dedupe_key and Notice.objects.filter(dedupe_key=dedupe_key).first()
    if not notice:
        with translation.override(account.language):
            title_words, title_text = stored(title)
            body_words, body_text = stored(body)
        texts = {k: v for k, v in (("title", title_text), ("body", body_text)) if v}
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin may win the key
                notice = Notice.objects.create(
                    account=account, title=title_words[:200], body=body_words, texts=texts,
                    url=url, dedupe_key=dedupe_key or None,
                )
        except IntegrityError:
            if not dedupe_key:
                raise
            notice = Notice.objects.get(dedupe_key=dedupe_key)
    if email and account.email and notice.emailed_at is None:
        outbox.task(
            "accounts.tasks.notify_email_notice", notice.pk, dedupe_key=f"notice-email:{notice.pk}"
        )
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

