"""Staff opening evidence files: the access rule checked under the appeal's
lock, and the record of each opening (``accounts.staff_views``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.staff_views import APPEAL_EVIDENCE, staff_view_record

from ..models import Appeal, Attachment
from ..selectors import evidence_refusal


@transaction.atomic
def appeal_evidence_viewed(
    *, attachment: Attachment, acting_user: Account, now: datetime | None = None
) -> None:
    """Record that staff opened one evidence file, if the access rule lets them.

    Raises the rule's ValidationError (and records nothing) otherwise.
    """
    now = now or timezone.now()
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related(
        "account", "claimed_by", "hold").get(pk=attachment.appeal_id)
    refusal = evidence_refusal(appeal, acting_user, now)
    if refusal is not None:
        raise refusal
    staff_view_record(
        kinds=APPEAL_EVIDENCE, account=appeal.account, acting_user=acting_user,
        case_pk=appeal.pk, session_length=settings.PORTAL_APPEAL_CLAIM_TIMEOUT,
        file={"attachment": attachment.pk}, hold=appeal.hold, now=now,
    )
