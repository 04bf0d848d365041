"""The owner's data, for "download my data": status, holds, events, cases and their
messages, sign-ins. Never staff notes or internal fields (internal notes on
holds and in threads, lift notes, staff names, risk data in event details).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import Account, Hold, StatusEvent
from .statement import decided_by_label, ways_to_contest

FORMAT_VERSION = 1


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _hold(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "reason": hold.reason,
        "title": str(hold.catalog.title),
        "explanation": str(hold.catalog.explanation),
        "level": hold.level,
        "blocked_features": list(hold.blocked_features),
        "feature_names": [str(label) for label in hold.blocked_feature_labels()],
        "placed_at": _iso(hold.placed_at),
        "deadline": _iso(hold.deadline),
        "expires_at": _iso(hold.expires_at),
        "escalated_at": _iso(hold.escalated_at),
        "message": hold.public_message,
        "statement_of_reasons": {
            "rule": hold.rule,
            "rule_title": hold.rule_title,
            "facts": dict(hold.facts or {}),
            "decided_by": hold.decision_mode,
            "decided_by_text": decided_by_label(hold),
            "ways_to_contest": [way.label for way in ways_to_contest(hold)],
        },
        "active": hold.is_active,
        "lifted_at": _iso(hold.lifted_at),
        "lift_reason": hold.lift_reason,
    }


def _event(event: StatusEvent) -> dict[str, Any]:
    # Only what the owner's timeline shows: the details may carry internal data.
    return {"at": _iso(event.at), "kind": event.kind, "text": event.get_kind_display(),
            "hold_id": event.hold_id}


def _cases(account: Account) -> list[dict[str, Any]]:
    from appeals.models import Appeal, Message

    cases = (Appeal.objects.filter(account=account).order_by("created_at", "pk")
             .prefetch_related("messages__attachments"))
    out = []
    for case in cases:
        thread = [message for message in case.messages.all() if not message.internal]
        out.append({
            "id": case.pk, "kind": case.kind, "hold_id": case.hold_id, "reason": case.reason,
            "category": case.category, "state": case.state, "filed_at": _iso(case.created_at),
            "answer_due_by": _iso(case.sla_due_at), "decision": case.decision,
            "decided_at": _iso(case.decided_at), "decision_message": case.decision_message,
            "closed_at": _iso(case.closed_at),
            "messages": [{
                "at": _iso(message.created_at),
                "from": {str(Message.Author.USER): "you", str(Message.Author.STAFF): "staff"}
                .get(message.author_role, "system"),
                "text": message.body,
                "attachments": [attachment.original_name
                                for attachment in message.attachments.all()],
            } for message in thread],
        })
    return out


def account_data(account: Account) -> dict[str, Any]:
    """Everything the owner may take with them, as plain JSON values."""
    holds = Hold.objects.filter(account=account).order_by("placed_at", "pk")
    events = (StatusEvent.objects.filter(account=account)
              .exclude(kind__in=StatusEvent.STAFF_ONLY_KINDS).order_by("at", "pk"))
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(timezone.now()),
        "account": {
            "username": account.get_username(),
            "platform_account_id": account.platform_account_id,
            "email": account.email,
            "language": account.language,
            "joined_at": _iso(account.date_joined),
            "status": account.status,
            "blocked_features": list(account.blocked_features),
            "status_changed_at": _iso(account.status_changed_at),
        },
        "holds": [_hold(hold) for hold in holds],
        "events": [_event(event) for event in events],
        "cases": _cases(account),
        "sign_ins": [
            {"at": _iso(s.at), "device": s.device, "network_address": s.ip_address}
            for s in account.sign_ins.order_by("-at")[:200]
        ],
    }
