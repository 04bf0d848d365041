"""Canned replies: written and reviewed by supervisors, offered only once reviewed."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account

from ..models import Macro

SUPERVISE = "appeals.supervise_appeal"
TEXT_FIELDS = ("title", "body_zh_hans", "body_en")


def _require_supervisor(acting_user: Account | None) -> None:
    if acting_user is None or not acting_user.has_perm(SUPERVISE):
        raise ValidationError(_("Only a supervisor can write or review canned replies."),
                              code="not_supervisor")


@transaction.atomic
def macro_save(*, macro: Macro, acting_user: Account, now: datetime | None = None) -> Macro:
    """Save a new or edited macro; changed words need a new review before they are offered."""
    _require_supervisor(acting_user)
    now = now or timezone.now()
    before = Macro.objects.select_for_update().filter(pk=macro.pk).first() if macro.pk else None
    if before is None or any(getattr(before, f) != getattr(macro, f) for f in TEXT_FIELDS):
        macro.approved_by, macro.approved_at = None, None
    macro.updated_at = now
    macro.full_clean()
    macro.save()
    return macro


@transaction.atomic
def macro_approve(*, macro: Macro, acting_user: Account, now: datetime | None = None) -> Macro:
    """Mark the macro's current words as reviewed, so the case pages offer it."""
    _require_supervisor(acting_user)
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    if macro.approved_by_id is not None:
        return macro
    macro.approved_by, macro.approved_at = acting_user, now or timezone.now()
    macro.save(update_fields=["approved_by", "approved_at"])
    return macro
