"""Several-remedy holds reaching the staff queue, and "this wasn't me".

A hold that needs every one of its remedies (account-theft risk: verify and
secure) is never lifted by one of them alone. When the owner's part is done,
a person must look: the case deciding the hold (an open appeal, say "it was
not me") is told so in its thread; without one, a remedies review opens in
the same queue, with its own SLA, that staff accept (the hold is lifted) or
reject (it stays, and the owner is told what is missing).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import listeners, outbox
from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import CATALOG
from accounts.remedies import latest_remedy_events, needs_several, remedy_steps

from ..models import Appeal, Message
from .common import _event, _notify_owner
from .filing import appeal_file

Kind = StatusEvent.Kind


def _appealed_at(hold: Hold) -> datetime | None:
    """When an appeal on ``hold`` that still counts (open or accepted) was filed."""
    appeal = (Appeal.objects.filter(hold=hold, kind=Appeal.Kind.APPEAL)
              .exclude(decision=Appeal.Decision.REJECTED).exclude(state=Appeal.State.CLOSED,
                                                                  decision="")
              .order_by("-created_at").first())
    return appeal.created_at if appeal else None


@listeners.listen(Kind.VERIFICATION_APPROVED, Kind.ACCOUNT_SECURED, Kind.APPEAL_FILED)
def remedies_review_if_done(event: StatusEvent) -> int:
    """Event listener: a remedy step happened; send completed holds to staff."""
    holds = Hold.objects.active().filter(
        account_id=event.account_id,
        reason__in=[code for code, reason in CATALOG.items() if reason.all_remedies_required])
    latest = latest_remedy_events(event.account_id)
    sent = 0
    for hold in holds:
        steps = remedy_steps(hold, latest=latest, appealed_at=_appealed_at(hold))
        if needs_several(hold) and all(step.done for step in steps):
            sent += remedies_review_open(hold=hold) is not None
    return sent


@transaction.atomic
def remedies_review_open(*, hold: Hold, now: datetime | None = None) -> Appeal | None:
    """Put ``hold`` before staff now that the owner did every step. Runs once per hold.

    Returns the case that will decide it, or None if the hold is gone.
    """
    now = now or timezone.now()
    Account.objects.select_for_update().filter(pk=hold.account_id).first()
    hold = Hold.objects.select_related("account").get(pk=hold.pk)
    if not hold.is_active:
        return None
    deciding = (Appeal.objects.filter(hold=hold, state__in=Appeal.OPEN_STATES)
                .exclude(kind=Appeal.Kind.SUPPORT).first())
    if deciding is not None:
        _tell_case_steps_done(deciding, now)
        return deciding
    try:
        with transaction.atomic():
            review = Appeal.objects.create(
                account=hold.account, hold=hold, kind=Appeal.Kind.REMEDIES, reason=hold.reason,
                statement=_steps_done_text(hold.account, now), created_at=now,
                sla_due_at=now + settings.PORTAL_REMEDIES_SLA)
    except IntegrityError:  # a concurrent run opened it
        return Appeal.objects.filter(hold=hold, state__in=Appeal.OPEN_STATES).first()
    Message.objects.create(appeal=review, author=None, author_role=Message.Author.SYSTEM,
                           body=review.statement, created_at=now)
    _event(review, Kind.APPEAL_FILED, None)
    _notify_owner(review, "filed", due=_when(review.sla_due_at))
    outbox.task("appeals.tasks.appeal_triage", review.pk)
    return review


def _when(moment: datetime):
    from accounts import notice_texts as nt

    return nt.when(moment)


def _steps_done_text(account: Account, now: datetime) -> str:
    with translation.override(account.language):
        return _("The owner finished every step this limit asks for (%(when)s). Check them and "
                 "lift the limit, or say what is still missing.") % {
            "when": formats.date_format(timezone.localtime(now), "DATETIME_FORMAT")}


def _tell_case_steps_done(appeal: Appeal, now: datetime) -> None:
    """Say once in the deciding case's thread that the owner's part is done."""
    if appeal.messages.filter(author_role=Message.Author.SYSTEM).exists():
        return
    Message.objects.create(appeal=appeal, author=None, author_role=Message.Author.SYSTEM,
                           body=_steps_done_text(appeal.account, now), created_at=now)


# ---------------------------------------------------------------------------
# "This wasn't me"
# ---------------------------------------------------------------------------
@transaction.atomic
def takeover_report(
    *, account: Account, hold: Hold, keep_session_key: str | None, statement: str = "",
) -> Appeal:
    """The owner says a suspicious sign-in was not them: start the account-theft path.

    Places the hold the reason names (account-theft risk) through the
    services, signs out every other session, and files an "it was not me"
    appeal on the new hold, which staff decide once the owner has verified
    and secured the account. Running it twice opens nothing twice.
    """
    hold = Hold.objects.get(pk=hold.pk)
    if hold.account_id != account.pk:
        raise ValidationError(_("This limit is not on your account."), code="not_your_hold")
    theft_reason = hold.catalog.not_me_places
    if theft_reason is None:
        raise ValidationError(_("This limit is not about a sign-in."), code="not_me_not_offered")
    if not hold.is_active:
        raise ValidationError(_("This limit was already lifted."), code="hold_not_active")
    facts = {**hold.facts, "reported_by_owner": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    theft = account_services.hold_place(
        account=account, reason=theft_reason, acting_user=account, source=Hold.Source.SYSTEM,
        facts=dict(list(facts.items())[-12:]), request_key=f"not-me:{hold.pk}",
        public_message=hold.public_message,
    )
    account_services.event_record(account=account, kind=Kind.TAKEOVER_REPORTED, acting_user=account,
                                  hold=hold, data={"theft_hold": theft.pk})
    account_services.sessions_end_others(account=account, keep_session_key=keep_session_key)
    open_case = (Appeal.objects.filter(hold=theft, state__in=Appeal.OPEN_STATES)
                 .exclude(kind=Appeal.Kind.SUPPORT).first())
    if open_case is not None:
        return open_case
    with translation.override(account.language):
        statement = statement.strip() or _(
            "I did not make this sign-in. Someone else may know my password.")
    return appeal_file(account=account, hold=theft, category=Appeal.Category.NOT_ME,
                       statement=statement, acting_user=account)
