"""Whether a hold can be appealed now (also explains the rules on the filing page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Hold
from accounts.reasons import CATALOG

from ..models import Appeal


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
    cases = list(Appeal.objects.filter(hold=hold).exclude(kind=Appeal.Kind.SUPPORT)
                 .order_by("created_at", "pk"))
    return eligibility_from(hold=hold, account=account, cases=cases, now=now)


def eligibility_from(*, hold: Hold, account: Account, cases: list[Appeal],
                     now: datetime | None = None) -> Eligibility:
    """The filing rules applied to ``cases``, the hold's appeals and remedies reviews
    (oldest first), already read: the status page decides for every card at once."""
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
    open_appeal = next((a for a in cases if a.is_open), None)
    if open_appeal and open_appeal.kind == Appeal.Kind.REMEDIES:
        return Eligibility(False, "already_open",
                           _("Staff are already reviewing this limit. Add to that case "
                             "instead of filing an appeal."), open_appeal=open_appeal)
    if open_appeal:
        return Eligibility(False, "already_open",
                           _("You already have an open appeal for this limit. Add to it "
                             "instead of filing a new one."), open_appeal=open_appeal)
    rejected = [a for a in cases
                if a.kind == Appeal.Kind.APPEAL and a.decision == Appeal.Decision.REJECTED]
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

