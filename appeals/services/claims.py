"""Claims: a lock with a timeout, so two staff never decide one case."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account, StatusEvent

from ..models import Appeal, Message
from .common import (
    _event,
    _lock,
    _message,
    _move,
)

State = Appeal.State
Kind = StatusEvent.Kind


def appeal_claim_live(appeal: Appeal, now: datetime) -> bool:
    """Return whether someone holds a claim on ``appeal`` that has not lapsed."""
    return (appeal.claimed_by_id is not None and appeal.claimed_at is not None
            and appeal.claimed_at + settings.PORTAL_APPEAL_CLAIM_TIMEOUT > now)


def _require_staff(acting_user: Account) -> None:
    if acting_user is None or not acting_user.has_perm("appeals.change_appeal"):
        raise ValidationError(_("You do not have permission to work on appeals."),
                              code="permission_denied")


def _take_claim(appeal: Appeal, acting_user: Account, now: datetime) -> None:
    """Hold the claim for ``acting_user`` or refuse if a colleague holds a live one."""
    if appeal_claim_live(appeal, now) and appeal.claimed_by_id != acting_user.pk:
        raise ValidationError(
            _("%(name)s is working on this appeal (claimed at %(at)s). Wait for them to "
              "release it or for the claim to lapse.")
            % {"name": appeal.claimed_by, "at": formats.date_format(
                timezone.localtime(appeal.claimed_at), "DATETIME_FORMAT")},
            code="claimed_by_other")
    appeal.claimed_by, appeal.claimed_at = acting_user, now
    if appeal.assignee_id is None:
        appeal.assignee = acting_user


def _require_open(appeal: Appeal) -> None:
    if not appeal.is_open:
        who = appeal.decided_by or _("someone else")
        raise ValidationError(
            _("This appeal is already %(state)s (by %(who)s). Nothing was changed.")
            % {"state": appeal.get_state_display(), "who": who}, code="already_decided")


@transaction.atomic
def appeal_claim(*, appeal: Appeal, acting_user: Account, now: datetime | None = None) -> Appeal:
    """Claim an open appeal for review; a submitted one moves to in review."""
    now = now or timezone.now()
    _require_staff(acting_user)
    appeal = _lock(appeal)
    _require_open(appeal)
    _take_claim(appeal, acting_user, now)
    if appeal.state == State.SUBMITTED:
        _move(appeal, State.IN_REVIEW)
        _event(appeal, Kind.APPEAL_IN_REVIEW, acting_user)
    appeal.save(update_fields=["claimed_by", "claimed_at", "assignee", "state"])
    return appeal


@transaction.atomic
def appeal_release(*, appeal: Appeal, acting_user: Account) -> Appeal:
    """Give up a claim (own, or anyone's for a supervisor)."""
    appeal = _lock(appeal)
    if appeal.claimed_by_id is None:
        return appeal
    if appeal.claimed_by_id != acting_user.pk and not acting_user.has_perm(
            "appeals.supervise_appeal"):
        raise ValidationError(
            _("Only the person holding the claim or a supervisor can release it."),
            code="not_your_claim")
    appeal.claimed_by, appeal.claimed_at = None, None
    appeal.save(update_fields=["claimed_by", "claimed_at"])
    return appeal


@transaction.atomic
def appeal_assign(*, appeal: Appeal, acting_user: Account, assignee: Account) -> Appeal:
    """Reassign an open appeal (supervisors); the new assignee must be able to work on it."""
    if not acting_user.has_perm("appeals.supervise_appeal"):
        raise ValidationError(_("Only a supervisor can reassign appeals."),
                              code="permission_denied")
    able = assignee.is_active and assignee.is_staff and assignee.has_perm("appeals.change_appeal")
    if not able:
        raise ValidationError(_("%(name)s cannot work on appeals.") % {"name": assignee},
                              code="bad_assignee")
    appeal = _lock(appeal)
    _require_open(appeal)
    appeal.assignee, appeal.claimed_by, appeal.claimed_at = assignee, None, None
    appeal.save(update_fields=["assignee", "claimed_by", "claimed_at"])
    _message(appeal, author=acting_user, role=Message.Author.STAFF, internal=True,
             body=_("Reassigned to %(name)s.") % {"name": assignee})
    return appeal



@transaction.atomic
def appeal_claim_takeover(*, appeal: Appeal, acting_user: Account,
                          now: datetime | None = None) -> Appeal:
    """Take a colleague's live claim (supervisors), with an event on the audit trail.

    An officer is refused: they wait for the release or the lapse. With no
    live claim of a colleague it is an ordinary claim.
    """
    now = now or timezone.now()
    if acting_user is None or not acting_user.has_perm("appeals.supervise_appeal"):
        raise ValidationError(_("Only a supervisor can take over a colleague's claim."),
                              code="not_supervisor")
    appeal = _lock(appeal)
    _require_open(appeal)
    previous = appeal.claimed_by if (appeal_claim_live(appeal, now)
                                     and appeal.claimed_by_id != acting_user.pk) else None
    appeal.claimed_by, appeal.claimed_at = None, None
    _take_claim(appeal, acting_user, now)
    if appeal.state == State.SUBMITTED:
        _move(appeal, State.IN_REVIEW)
        _event(appeal, Kind.APPEAL_IN_REVIEW, acting_user)
    appeal.save(update_fields=["claimed_by", "claimed_at", "assignee", "state"])
    if previous is not None:
        _event(appeal, Kind.CLAIM_TAKEN_OVER, acting_user, **{
            "from": previous.pk, "from_name": str(previous), "to": acting_user.pk})
        _message(appeal, author=acting_user, role=Message.Author.STAFF, internal=True,
                 body=_("Took over the claim from %(name)s.") % {"name": previous}, now=now)
    return appeal
