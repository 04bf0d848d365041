"""Filing an appeal and its triage (priority and assignee)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notice_texts as nt
from accounts import outbox
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import CATALOG, Level

from ..models import Appeal, Message
from ..uploads import CleanFile
from .common import (
    _event,
    _files_or_error,
    _least_busy,
    _lock,
    _notify_owner,
    _store_files,
    _text_or_error,
)
from .eligibility import appeal_eligibility

Kind = StatusEvent.Kind


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
    _notify_owner(appeal, "filed")
    outbox.task("appeals.tasks.appeal_triage", appeal.pk)
    return appeal


@transaction.atomic
def support_open(
    *,
    account: Account,
    hold: Hold | None,
    body: str,
    acting_user: Account,
    files: Sequence[CleanFile] = (),
    now: datetime | None = None,
) -> Appeal:
    """Start a conversation with support, about one of the owner's holds or about nothing
    in particular (the help page). It joins the appeals queue with its own SLA.

    One open conversation per topic: a second one is refused (``already_open``)
    so the owner adds to the first.
    """
    now = now or timezone.now()
    body = _text_or_error(body, limit=settings.PORTAL_APPEAL_STATEMENT_MAX, field=_("message"))
    files = _files_or_error(files)
    Account.objects.select_for_update().filter(pk=account.pk).first()  # serialises the topic
    if hold is not None and hold.account_id != account.pk:
        raise ValidationError(_("This limit is not on your account."), code="not_your_hold")
    if support_open_conversation(account, hold) is not None:
        raise ValidationError(_("You already have an open conversation about this. Add to it "
                                "instead of starting a new one."), code="already_open")
    sla = settings.PORTAL_SUPPORT_SLA
    if hold is not None:
        sla = min(sla, CATALOG[hold.reason].appeal_sla)
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                account=account, hold=hold, kind=Appeal.Kind.SUPPORT,
                reason=hold.reason if hold else "", statement=body, created_at=now,
                sla_due_at=now + sla)
    except IntegrityError:  # a twin request won the race: one conversation
        raise ValidationError(_("You already have an open conversation about this."),
                              code="already_open") from None
    message = Message.objects.create(appeal=appeal, author=acting_user,
                                     author_role=Message.Author.USER, body=body, created_at=now)
    _store_files(message, files)
    _event(appeal, Kind.APPEAL_FILED, acting_user)
    _notify_owner(appeal, "filed", due=nt.when(appeal.sla_due_at))
    outbox.task("appeals.tasks.appeal_triage", appeal.pk)
    return appeal


def support_open_conversation(account: Account, hold: Hold | None) -> Appeal | None:
    """The owner's open conversation about ``hold`` (or about no hold), if any."""
    return Appeal.objects.filter(account=account, hold=hold, kind=Appeal.Kind.SUPPORT,
                                 state__in=Appeal.OPEN_STATES).first()


def _priority(appeal: Appeal, now: datetime) -> int:
    """Priority from the reason (severity, money, takeover) and the account's history."""
    if appeal.hold is None:  # a general question to support
        return Appeal.Priority.NORMAL
    reason = CATALOG[appeal.reason]
    priority = Appeal.Priority.NORMAL
    if appeal.hold.level == Level.FROZEN or reason.takeover_risk:
        priority = Appeal.Priority.HIGH
    money_at_stake = "withdraw" in appeal.hold.blocked_features
    if appeal.hold.level == Level.BANNED or (reason.money_at_risk and money_at_stake):
        priority = Appeal.Priority.URGENT
    history = Hold.objects.filter(account_id=appeal.account_id).exclude(pk=appeal.hold.pk)
    past_holds = history.count()
    rejected_before = Appeal.objects.filter(account_id=appeal.account_id,
                                            decision=Appeal.Decision.REJECTED).count()
    if past_holds >= 3 or rejected_before:
        priority -= 1  # a repeated pattern is less likely a mistake
    if past_holds == 0 and reason.appeal_sla.total_seconds() <= 24 * 3600:
        priority += 1  # a clean account under a fast-SLA reason: likely a mis-freeze
    return max(Appeal.Priority.LOW, min(Appeal.Priority.URGENT, priority))


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

