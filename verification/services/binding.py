"""A supervisor resolves an identity bound to the wrong account: release or transfer.

Both write an event on each account involved and send each a notice
(through ``accounts.services.notice_send``, whose email leaves by the
outbox). A transfer also lifts the claimant's identity-bound limit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import notice_texts
from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import IDENTITY_BOUND

from ..models import IdentityBinding, VerificationRequest

Kind = StatusEvent.Kind
RESOLVE_PERMISSION = "verification.resolve_identity_binding"


def _require_supervisor(acting_user: Account) -> None:
    if not acting_user.has_perm(RESOLVE_PERMISSION):
        raise ValidationError(
            _("Only a supervisor can release or transfer an identity binding."),
            code="not_allowed")


def _require_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise ValidationError(_("Write why: the note is kept with the change."),
                              code="note_missing")
    return note


def _lock_binding(binding: IdentityBinding | int) -> IdentityBinding:
    pk = binding.pk if isinstance(binding, IdentityBinding) else binding
    found = IdentityBinding.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("This binding no longer exists."), code="binding_gone")
    return found


def _tell(account: Account, title: str, body: str, **params) -> None:
    account_services.notice_send(
        account=account, title=notice_texts.text(title),
        body=notice_texts.text(body, **params), url=reverse("accounts:status"))


@transaction.atomic
def binding_release(
    *, binding: IdentityBinding | int, acting_user: Account, note: str,
    claimant: Account | None = None,
) -> None:
    """Unbind an identity from its account, so its rightful owner can verify with it.

    ``claimant`` (the account that asked, if any) is told the identity is free.
    """
    _require_supervisor(acting_user)
    note = _require_note(note)
    binding = _lock_binding(binding)
    holder, document = binding.account, binding.number_masked
    if claimant is not None and claimant.pk == holder.pk:
        raise ValidationError(_("The claimant is the account that holds the identity."),
                              code="same_account")
    binding.delete()
    data = {"document": document, "note": note, "from": holder.pk,
            "to": claimant.pk if claimant else None}
    account_services.event_record(account=holder, kind=Kind.IDENTITY_RELEASED,
                                  acting_user=acting_user, data=data)
    _tell(holder, gettext_noop("Your identity document was unbound from this account"),
          gettext_noop("A supervisor unbound the document %(document)s from this account. "
                       "Verify again to use features that need a verified identity."),
          document=document)
    if claimant is not None:
        account_services.event_record(account=claimant, kind=Kind.IDENTITY_RELEASED,
                                      acting_user=acting_user, data=data)
        _tell(claimant, gettext_noop("The identity you claimed is free"),
              gettext_noop("A supervisor unbound %(document)s from the other account. Verify "
                           "again with it: your limit lifts when it is approved."),
              document=document)


def _claimant_request(binding: IdentityBinding, to_account: Account) -> VerificationRequest:
    """The claimant's own submission of this identity: the proof a transfer needs."""
    request = (VerificationRequest.objects
               .filter(account=to_account, identity_hash=binding.identity_hash)
               .exclude(state=VerificationRequest.State.DRAFT)
               .order_by("-submitted_at", "-pk").first())
    if request is None:
        raise ValidationError(
            _("%(account)s never submitted this identity, so it cannot be transferred there.")
            % {"account": to_account}, code="no_claim")
    return request


@transaction.atomic
def binding_transfer(
    *, binding: IdentityBinding | int, to_account: Account, acting_user: Account, note: str,
) -> IdentityBinding:
    """Move an identity to the account that claimed it and lift that account's limit."""
    _require_supervisor(acting_user)
    note = _require_note(note)
    binding = _lock_binding(binding)
    holder = binding.account
    to_account = Account.objects.select_for_update().get(pk=to_account.pk)
    if to_account.pk == holder.pk:
        raise ValidationError(_("The identity is already bound to this account."),
                              code="same_account")
    if IdentityBinding.objects.filter(account=to_account).exists():
        raise ValidationError(
            _("%(account)s is already bound to another identity; release that first.")
            % {"account": to_account}, code="claimant_bound")
    request = _claimant_request(binding, to_account)
    binding.account, binding.request, binding.bound_at = to_account, request, timezone.now()
    binding.save(update_fields=["account", "request", "bound_at"])
    data = {"document": binding.number_masked, "note": note, "from": holder.pk,
            "to": to_account.pk}
    for account in (holder, to_account):
        account_services.event_record(account=account, kind=Kind.IDENTITY_TRANSFERRED,
                                      acting_user=acting_user, data=data)
    _lift_identity_bound(to_account, acting_user, note)
    _tell(holder, gettext_noop("Your identity document was moved to another account"),
          gettext_noop("A supervisor found that %(document)s belongs to another account's "
                       "owner and moved it there. Verify again with your own document."),
          document=binding.number_masked)
    _tell(to_account, gettext_noop("Your identity claim was accepted"),
          gettext_noop("%(document)s is now bound to this account, and the limit about your "
                       "identity is lifted."), document=binding.number_masked)
    return binding


def _lift_identity_bound(account: Account, acting_user: Account, note: str) -> None:
    for hold in Hold.objects.active().filter(account=account, reason=IDENTITY_BOUND):
        account_services.hold_lift(hold=hold, acting_user=acting_user,
                                   lift_reason=Hold.LiftReason.STAFF, note=note, by_flow=True)
