"""Every write to verification requests, images, checks and bindings.

States and the only allowed moves (``common.TRANSITIONS``)::

    draft → submitted → checking → auto_rejected
                           │    ↘ in_review → approved | rejected
                           └→ submitted   (the sweeper's retry of a lost check)

Holds, account status and events are changed only through
``accounts.services``. Side effects (the checks task, notices) go out on commit.

The package follows the flow: ``wizard`` (the owner's draft), ``checking``
(the automatic checks), ``review`` (staff) and ``retention``; callers import
from the package.
"""

from .binding import binding_release, binding_transfer
from .checking import verification_requeue_stuck, verification_run_checks
from .common import TRANSITIONS
from .document import verification_document_read
from .escalation import verification_escalate, verifications_escalate_overdue
from .retention import encryption_rotate, verification_images_purge
from .review import (
    verification_approve,
    verification_claim,
    verification_claim_next,
    verification_claim_takeover,
    verification_details_viewed,
    verification_images_viewed,
    verification_reject,
    verification_release,
    verification_request_reupload,
)
from .wizard import (
    submissions_left_today,
    verification_attach_image,
    verification_consent,
    verification_liveness_add_frame,
    verification_liveness_add_frames,
    verification_liveness_start,
    verification_open_request,
    verification_set_details,
    verification_set_subject,
    verification_start,
    verification_submit,
)

__all__ = [
    "TRANSITIONS",
    "binding_release",
    "binding_transfer",
    "encryption_rotate",
    "submissions_left_today",
    "verification_approve",
    "verification_attach_image",
    "verification_claim",
    "verification_claim_next",
    "verification_claim_takeover",
    "verification_consent",
    "verification_document_read",
    "verification_escalate",
    "verification_images_purge",
    "verification_details_viewed",
    "verification_images_viewed",
    "verification_liveness_add_frame",
    "verification_liveness_add_frames",
    "verification_liveness_start",
    "verification_open_request",
    "verification_reject",
    "verification_release",
    "verification_request_reupload",
    "verification_requeue_stuck",
    "verification_run_checks",
    "verification_set_details",
    "verification_set_subject",
    "verification_start",
    "verification_submit",
    "verifications_escalate_overdue",
]
