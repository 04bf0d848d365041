"""The webhook event catalogue: which account events the platform hears about, and how.

Each type names the status-event kinds it is made from and builds its
``data`` from the event. A webhook body is

    {"id": "evt_<event id>", "type": "<type>", "timestamp": "<ISO 8601>",
     "data": {"platform_account_id": "...", ...}}

and is the same bytes on every attempt. docs/api.md lists the catalogue for
integrators; a test checks the two agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import StatusEvent

from .serializers import hold_portal_url

Kind = StatusEvent.Kind


def message_id(event_id: int) -> str:
    """The ``webhook-id`` of an event: stable across retries and endpoints."""
    return f"evt_{event_id}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _hold(event: StatusEvent) -> dict:
    hold = event.hold
    assert hold is not None, "hold events always name their hold"
    data: dict[str, object] = {
        "hold_id": hold.pk,
        "reason": hold.reason,
        "level": hold.level,
        "blocked_features": list(hold.blocked_features),
        "deadline": _iso(hold.deadline),
        "expires_at": _iso(hold.expires_at),
        "portal_url": hold_portal_url(hold.pk),
    }
    if event.kind == Kind.HOLD_LIFTED:
        data["lift_reason"] = hold.lift_reason
    if event.kind == Kind.HOLD_ESCALATED:
        data["previous_level"] = event.data.get("old_level")
    return data


def _status(event: StatusEvent) -> dict:
    return {
        "status": event.data.get("new"),
        "previous_status": event.data.get("old"),
        "blocked_features": event.data.get("blocked_features", []),
        "version": event.data.get("version"),
    }


def _verification(event: StatusEvent) -> dict:
    data = {"request_id": event.data.get("request")}
    if event.kind in (Kind.VERIFICATION_REJECTED, Kind.VERIFICATION_AUTO_REJECTED):
        data["reason"] = event.data.get("reason", "")
        data["automatic"] = event.kind == Kind.VERIFICATION_AUTO_REJECTED
    return data


def _appeal(event: StatusEvent) -> dict:
    data = {"appeal_id": event.data.get("appeal"), "hold_id": event.hold_id}
    if event.kind == Kind.APPEAL_FILED:
        data["category"] = event.data.get("category", "")
    else:
        data["decision"] = "accepted" if event.kind == Kind.APPEAL_ACCEPTED else "rejected"
    return data


@dataclass(frozen=True)
class EventType:
    name: str
    kinds: tuple[str, ...]
    description: str
    data: Callable[[StatusEvent], dict]


CATALOGUE: tuple[EventType, ...] = (
    EventType("hold.placed", (Kind.HOLD_PLACED,), "A hold was placed on the account.", _hold),
    EventType("hold.lifted", (Kind.HOLD_LIFTED,), "A hold was lifted (data.lift_reason says how).",
              _hold),
    EventType("hold.escalated", (Kind.HOLD_ESCALATED,),
              "A hold's deadline passed and it was escalated.", _hold),
    EventType("account.status_changed", (Kind.STATUS_CHANGED,),
              "The account's derived status or blocked features changed.", _status),
    EventType("verification.submitted", (Kind.VERIFICATION_SUBMITTED,),
              "The owner submitted a real-name verification.", _verification),
    EventType("verification.approved", (Kind.VERIFICATION_APPROVED,),
              "A verification was approved; the holds it clears are lifted (see hold.lifted).",
              _verification),
    EventType("verification.rejected",
              (Kind.VERIFICATION_REJECTED, Kind.VERIFICATION_AUTO_REJECTED),
              "A verification was rejected, by a reviewer or automatically (data.automatic).",
              _verification),
    EventType("appeal.filed", (Kind.APPEAL_FILED,), "The owner filed an appeal against a hold.",
              _appeal),
    EventType("appeal.decided", (Kind.APPEAL_ACCEPTED, Kind.APPEAL_REJECTED),
              "An appeal was accepted (its hold is lifted) or rejected.", _appeal),
)
BY_KIND: dict[str, EventType] = {kind: t for t in CATALOGUE for kind in t.kinds}
NAMES: tuple[str, ...] = tuple(t.name for t in CATALOGUE)
KINDS: tuple[str, ...] = tuple(BY_KIND)


def body(event: StatusEvent) -> str | None:
    """Return the JSON body of ``event``'s webhook, or None if it is not one."""
    event_type = BY_KIND.get(event.kind)
    if event_type is None or not event.account.platform_account_id:
        return None
    payload = {
        "id": message_id(event.pk),
        "type": event_type.name,
        "timestamp": event.at.isoformat(),
        "data": {"platform_account_id": event.account.platform_account_id,
                 **event_type.data(event)},
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)
