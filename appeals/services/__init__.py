"""Every write to appeals, their threads and evidence goes through here.

Each service locks the appeal row (``select_for_update``), checks the move
against ``TRANSITIONS``, writes the change, appends a StatusEvent through
``accounts.services.event_record`` and tells the owner through
``accounts.services.notice_send`` (in-portal notice, email on commit).
Staff who act on an appeal must hold its claim: the lock is checked under
the row lock, so two staff can never both decide one case.

The package follows the case's life: ``eligibility``, ``filing`` (and
triage, and support conversations), ``claims``, ``thread``, ``evidence``
(staff opening files), ``decisions``, the beat ``sweeps`` and ``remedies``
(several-remedy holds reaching staff, "this wasn't me"); callers import from
the package.
"""

from .claims import (
    appeal_assign,
    appeal_claim,
    appeal_claim_live,
    appeal_claim_takeover,
    appeal_release,
)
from .common import TRANSITIONS
from .decisions import (
    appeal_close,
    appeal_decide,
    appeal_escalate,
    appeal_remind,
)
from .eligibility import Eligibility, appeal_eligibility, eligibility_from
from .evidence import appeal_evidence_viewed
from .filing import appeal_file, appeal_triage, support_open, support_open_conversation
from .macros import macro_approve, macro_save
from .remedies import remedies_review_if_done, remedies_review_open, takeover_report
from .sweeps import (
    STUCK_AFTER,
    appeal_close_if_abandoned,
    appeals_close_abandoned,
    appeals_close_for_lifted_hold,
    appeals_escalate_overdue,
    appeals_remind_silent,
    appeals_triage_pending,
)
from .thread import appeal_ask_user, appeal_staff_message, appeal_user_reply, case_resolve

__all__ = [
    "Eligibility",
    "STUCK_AFTER",
    "TRANSITIONS",
    "appeal_ask_user",
    "appeal_assign",
    "appeal_claim",
    "appeal_claim_live",
    "appeal_claim_takeover",
    "appeal_close",
    "appeal_close_if_abandoned",
    "appeal_decide",
    "appeal_eligibility",
    "appeal_escalate",
    "appeal_evidence_viewed",
    "appeal_file",
    "appeal_release",
    "appeal_remind",
    "appeal_staff_message",
    "appeal_triage",
    "appeal_user_reply",
    "appeals_close_abandoned",
    "appeals_close_for_lifted_hold",
    "appeals_escalate_overdue",
    "appeals_remind_silent",
    "appeals_triage_pending",
    "case_resolve",
    "eligibility_from",
    "macro_approve",
    "macro_save",
    "remedies_review_if_done",
    "remedies_review_open",
    "support_open",
    "support_open_conversation",
    "takeover_report",
]
