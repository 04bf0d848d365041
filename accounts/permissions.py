"""Who may do what to holds: one place for the rule, used by the services (which
enforce it) and by the pages (which only offer what the user may do)."""

from __future__ import annotations

from typing import Protocol

from .models import Account, Hold

LIFT_PROTECTED_PERMISSION = "accounts.lift_protected_hold"
LIFT_PROTECTED_SCOPE = "holds:lift_protected"


class ScopedClient(Protocol):
    def has_scope(self, scope: str) -> bool: ...


def may_lift(
    hold: Hold, *, acting_user: Account | None, api_client: ScopedClient | None = None,
    by_flow: bool = False,
) -> bool:
    """Return whether this actor may lift ``hold``.

    A protected hold (a ban, a legal hold) takes a person with the
    supervisor permission, or an API client with the protected-lift scope;
    with neither, only the system's own flows (expiry) may lift it.
    """
    if not hold.lift_needs_supervisor:
        return True
    if acting_user is not None:
        return acting_user.has_perm(LIFT_PROTECTED_PERMISSION)
    if api_client is not None:
        return api_client.has_scope(LIFT_PROTECTED_SCOPE)
    return by_flow
