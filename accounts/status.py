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
