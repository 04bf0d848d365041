"""Every write to holds, account status and the event log goes through here.

Each service locks the account row (``select_for_update``) before it reads
the holds, so two concurrent changes to one account are serialised and the
stored status is always the one derived from the holds it committed with.
Side effects (notices, email, webhooks, cache) leave through the outbox.

The package follows the sections of the state model: ``events``, ``holds``,
``status``, ``notices``, ``profile``, ``reminders``, ``security``, and for the
host platform ``provisioning`` and ``sign_in``; callers import from the package.
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
from .profile import account_data_exported, account_password_changed, account_set_language
from .provisioning import (
    account_provision,
    hold_place_on_platform_account,
    platform_account_id_validate,
    profile_validate,
)
from .reminders import hold_remind, holds_remind_deadlines
from .security import (
    account_secure,
    password_changed_since,
    recovery_codes_renew,
    security_checklist_done,
    sessions_end_others,
    signin_record,
    staff_two_step_check,
    two_step_check,
    two_step_confirm,
    two_step_device,
    two_step_disable,
    two_step_setup_start,
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
    "account_data_exported",
    "account_password_changed",
    "account_provision",
    "account_recompute_status",
    "account_secure",
    "account_set_language",
    "account_signed_in_with_platform",
    "event_record",
    "hold_escalate",
    "hold_lift",
    "hold_place",
    "hold_place_on_platform_account",
    "hold_remind",
    "holds_escalate_overdue",
    "holds_lift_expired",
    "holds_lift_for_remedy",
    "holds_remind_deadlines",
    "notice_claim_email",
    "notice_release_email",
    "notice_send",
    "notices_mark_read",
    "password_changed_since",
    "platform_account_id_validate",
    "profile_validate",
    "recovery_codes_renew",
    "security_checklist_done",
    "sessions_end_others",
    "sign_in_eligibility_check",
    "sign_in_link_consume",
    "sign_in_link_find",
    "sign_in_link_issue",
    "sign_in_next_validate",
    "signin_record",
    "staff_two_step_check",
    "two_step_check",
    "two_step_confirm",
    "two_step_device",
    "two_step_disable",
    "two_step_setup_start",
]
