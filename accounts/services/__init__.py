"""Every write to holds, account status and the event log goes through here.

Each service locks the account row (``select_for_update``) before it reads
the holds, so two concurrent changes to one account are serialised and the
stored status is always the one derived from the holds it committed with.
Side effects (notices, email, webhooks, cache) run on commit only.

The package follows the sections of the state model: ``events``, ``holds``,
``status``, ``notices``, ``profile``, and for the host platform
``provisioning`` and ``sign_in``; callers import from the package.
"""

from .events import event_record
from .holds import (
    hold_escalate,
    hold_lift,
    hold_place,
    holds_escalate_overdue,
    holds_lift_expired,
    holds_lift_for_remedy,
)
from .notices import notice_claim_email, notice_release_email, notice_send, notices_mark_read
from .profile import account_password_changed, account_set_language
from .provisioning import (
    account_provision,
    hold_place_on_platform_account,
    platform_account_id_validate,
    profile_validate,
)
from .sign_in import (
    account_signed_in_with_platform,
    sign_in_eligibility_check,
    sign_in_link_consume,
    sign_in_link_find,
    sign_in_link_issue,
    sign_in_next_validate,
)
from .status import account_recompute_status

__all__ = [
    "account_password_changed",
    "account_provision",
    "account_signed_in_with_platform",
    "account_recompute_status",
    "account_set_language",
    "event_record",
    "hold_escalate",
    "hold_lift",
    "hold_place_on_platform_account",
    "hold_place",
    "holds_escalate_overdue",
    "holds_lift_expired",
    "holds_lift_for_remedy",
    "notice_claim_email",
    "notice_release_email",
    "notice_send",
    "notices_mark_read",
    "platform_account_id_validate",
    "profile_validate",
    "sign_in_eligibility_check",
    "sign_in_link_consume",
    "sign_in_link_find",
    "sign_in_link_issue",
    "sign_in_next_validate",
]
