"""Staff opening the files owners send us: identity images (verification) and
appeal evidence (appeals). One rule says who may open them, one record says
who did; both apps use these, each with the facts of its own case.

The rule (docs/staff-file-access.md):

- never the files of a case the owner has not submitted (a draft);
- a reviewer (officer) opens the files of a case they may work: in the
  queue (in review; an open appeal) and not under a live claim of a
  colleague;
- a supervisor (``accounts.view_any_case_files``) opens those of any
  submitted case, claimed or decided, as long as its files are kept.

The record: every opening is one staff-only event naming the file; the
first opening of a review session also writes one summary event, which the
owner's timeline shows where ``StatusEvent.OWNER_SEES_STAFF_VIEWS`` says so.
A session is a claim's length: it ends once the staff member has opened
none of the case's files for as long as a claim lasts.

Callers (the apps' services) lock the case row first, so two files loaded
at once by one page never start two sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Account, StatusEvent
from .services import event_record

SUPERVISOR_PERMISSION = "accounts.view_any_case_files"
Kind = StatusEvent.Kind


# ---------------------------------------------------------------------------
# Who may open a case's files
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseFacts:
    """What the rule needs to know about a case, from the app that owns it."""

    submitted: bool  # False for an owner's draft
    in_queue: bool  # open for a reviewer's work
    state_label: str  # shown in the refusal
    claimed_by: Account | None = None  # a live claim (whoever holds it)
    claimed_until: datetime | None = None


def file_access_refusal(user: Account, case: CaseFacts) -> ValidationError | None:
    """Return why ``user`` may not open the case's files, or None if they may."""
    if not case.submitted:
        return ValidationError(
            _("This request is still the owner's draft: nobody on staff may open its files."),
            code="not_submitted")
    if user.has_perm(SUPERVISOR_PERMISSION):
        return None
    if not case.in_queue:
        return ValidationError(
            _("This case is %(state)s, no longer in the review queue: only a supervisor may "
              "open its files.") % {"state": case.state_label}, code="not_in_queue")
    if case.claimed_by is not None and case.claimed_by.pk != user.pk:
        until = case.claimed_until and timezone.localtime(case.claimed_until).strftime("%H:%M")
        return ValidationError(
            _("%(name)s has claimed this case (until %(until)s): only they or a supervisor "
              "may open its files.") % {"name": case.claimed_by, "until": until or "–"},
            code="claimed_by_other")
    return None


def file_unavailable(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """The staff page saying why a case's file cannot be opened (403, 404 or 410)."""
    return render(request, "staff/file_unavailable.html", {"message": message}, status=status)


# ---------------------------------------------------------------------------
# Recording each opening
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewKinds:
    summary: str  # once per staff member, case and session
    opened: str  # every opening, staff-only
    case_key: str  # the key naming the case in the events' data


IDENTITY_IMAGES = ViewKinds(Kind.ID_IMAGES_VIEWED, Kind.ID_IMAGE_OPENED, "request")
APPEAL_EVIDENCE = ViewKinds(Kind.EVIDENCE_VIEWED, Kind.EVIDENCE_OPENED, "appeal")


def staff_view_record(
    *, kinds: ViewKinds, account: Account, acting_user: Account, case_pk: int,
    session_length: timedelta, file: dict[str, Any], hold=None, now: datetime | None = None,
) -> StatusEvent:
    """Record that ``acting_user`` opened one file of a case of ``account``.

    Returns the session's summary event (new or running). Call with the case
    row locked (see the module's docstring).
    """
    now = now or timezone.now()
    last = (StatusEvent.objects
            .filter(account=account, acting_user=acting_user, kind=kinds.opened,
                    **{f"data__{kinds.case_key}": case_pk})
            .order_by("-at", "-pk").only("at", "data").first())
    summary = None
    if last is not None and now - last.at < session_length:
        summary = StatusEvent.objects.filter(pk=last.data.get("session")).first()
    if summary is None:
        summary = event_record(account=account, kind=kinds.summary, acting_user=acting_user,
                               hold=hold, data={kinds.case_key: case_pk})
    event_record(account=account, kind=kinds.opened, acting_user=acting_user, hold=hold,
                 data={kinds.case_key: case_pk, "session": summary.pk, **file})
    return summary
