"""Derived status: a pure function of the active holds, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .reasons import ALL_FEATURES, LEVEL_RANK


@dataclass(frozen=True)
class DerivedStatus:
    status: str
    blocked_features: list[str]


def derive_status(active_holds: Iterable[tuple[str, Iterable[str]]]) -> DerivedStatus:
    """Return the status and blocked features for ``(level, features)`` pairs.

    The status is the highest level among the holds (banned > frozen >
    restricted), else ``active``; the blocked features are their union, in
    the catalog's order so the stored value is stable.
    """
    status, rank, blocked = "active", 0, set()
    for level, features in active_holds:
        blocked.update(features)
        if LEVEL_RANK[level] > rank:
            status, rank = level, LEVEL_RANK[level]
    return DerivedStatus(status=status, blocked_features=[f for f in ALL_FEATURES if f in blocked])


# The fields of an active hold that ``blocking_summary`` reads, in order.
BLOCKING_FIELDS = ("pk", "reason", "level", "blocked_features", "deadline", "escalated_at")


def blocking_summary(active_holds: Iterable[tuple]) -> list[dict]:
    """Return what each active hold blocks, most severe first, then oldest first.

    Takes rows of ``BLOCKING_FIELDS`` in placing order. The result is stored
    on the account beside ``status`` and travels in the status cache, so the
    "may" answer can name the holds that block a feature without a query.
    The deadline is kept while it still matters (the hold has not escalated).
    """
    rows = [
        {
            "id": pk,
            "reason": reason,
            "level": level,
            "features": list(features),
            "deadline": deadline.isoformat() if deadline and not escalated_at else None,
        }
        for pk, reason, level, features, deadline, escalated_at in active_holds
    ]
    return sorted(rows, key=lambda row: -LEVEL_RANK[row["level"]])
