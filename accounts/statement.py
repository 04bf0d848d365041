"""The statement of reasons of a hold (EU DSA Art. 17 shape), one place for the card,
the API and the data download: the rule, the facts, who decided, every way to contest."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Hold
from .reasons import Remedy
from .rules import FACT_LABELS, DecisionMode, fact_label


@dataclass(frozen=True)
class Way:
    """One way to contest a hold or have it lifted."""

    code: str
    label: str
    url: str | None = None


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # that flow is not installed
        return None


def ways_to_contest(hold: Hold) -> list[Way]:
    """Every way to contest ``hold``, the portal's own first, then outside it."""
    reason = hold.catalog
    ways = []
    if reason.appealable:
        ways.append(Way("appeal", str(_("Appeal in this portal: a person reviews it")),
                        _url("appeals:file", hold.pk)))
    if Remedy.VERIFY in reason.remedies and reason.self_service:
        ways.append(Way("verify", str(_("Verify your identity: it lifts this limit")),
                        _url("verification:start")))
    ways.append(Way("support", str(_("Write to support: a person answers in the portal")),
                    _url("appeals:support_new", hold.pk)))
    ways.append(Way("redress", str(_("Take the decision to an out-of-court dispute settlement "
                                     "body or to court; using the portal first is not "
                                     "required"))))
    return ways


def decided_by_label(hold: Hold) -> str:
    return str(DecisionMode(hold.decision_mode).label) if hold.decision_mode else ""


def facts_for_display(hold: Hold) -> list[tuple[str, str]]:
    """The facts as (label, value) pairs: the usual ones (time, region, …) first in a
    fixed order, then the others by name (the database keeps no order of its own)."""
    order = {key: n for n, key in enumerate(FACT_LABELS)}
    keys = sorted(hold.facts or {}, key=lambda key: (order.get(key, len(order)), key))
    return [(fact_label(key), hold.facts[key]) for key in keys]
