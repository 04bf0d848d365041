"""The rule catalogue: which published rule a hold applies, for its statement of reasons.

Every hold cites one rule (an id and a title), like the reason catalog a
registry in code: the statement of reasons (EU DSA Art. 17 shape) names the
rule, the facts that triggered it, whether a person or an automatic system
decided, and every way to contest it. A reason has a default rule; a caller
may cite another rule that the catalogue allows for the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a str or a lazy translation


@dataclass(frozen=True)
class Rule:
    id: str
    title: StrOrPromise
    reasons: tuple[str, ...]


_RULES: tuple[Rule, ...] = (
    Rule("RN-1", _("Real-name requirement for publishing, live streaming and payments"),
         ("realname_missing", "realname_outdated")),
    Rule("RN-2", _("Periodic and random confirmation of real-name details"),
         ("realname_outdated",)),
    Rule("SEC-1", _("Protection against sign-ins that do not look like the owner"),
         ("suspicious_signin",)),
    Rule("SEC-2", _("Protection against password guessing"), ("password_failures",)),
    Rule("SEC-3", _("Protection of accounts at risk of takeover"),
         ("theft_risk", "suspicious_signin")),
    Rule("INT-1", _("Authentic activity: no bulk or automated use"), ("bulk_activity",)),
    Rule("CON-1", _("Community rules on content"), ("content_violation",)),
    Rule("CON-2", _("Community rules: misleading information"), ("content_violation",)),
    Rule("CON-3", _("Community rules: harassment and hate"), ("content_violation",)),
    Rule("ID-1", _("One identity owns one primary account"), ("identity_bound",)),
    Rule("PAY-1", _("Payment integrity and fraud prevention"), ("payment_anomaly",)),
    Rule("PAY-2", _("Fees of business accounts"), ("unpaid_fees",)),
    Rule("ACC-1", _("Protection of dormant accounts"), ("inactivity",)),
    Rule("LAW-1", _("Orders and requests of competent authorities"), ("legal",)),
    Rule("ACC-2", _("Account trading and severe violations"), ("severe_violation",)),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
# Lazy labels: each is translated when shown, never once at import.
RULE_CHOICES = [(rule.id, format_lazy("{} · {}", rule.id, rule.title)) for rule in _RULES]
# The rule a hold cites when its placer names none: the first one listing the reason.
DEFAULT_RULE: dict[str, str] = {}
for _rule in _RULES:
    for _reason in _rule.reasons:
        DEFAULT_RULE.setdefault(_reason, _rule.id)
del _rule, _reason


class DecisionMode(models.TextChoices):
    """Who decided to place a hold (the statement of reasons says so)."""

    AUTOMATED = "automated", _("An automated system")
    HUMAN = "human", _("A person")


def rule_for(reason: str, rule_id: str | None) -> str:
    """Return the rule a hold for ``reason`` cites: ``rule_id`` if allowed, else the default."""
    if not rule_id:
        return DEFAULT_RULE[reason]
    rule = RULES.get(rule_id)
    if rule is None:
        raise ValidationError(
            _("Unknown rule “%(rule)s”."), code="unknown_rule", params={"rule": rule_id})
    if reason not in rule.reasons:
        raise ValidationError(
            _("Rule %(rule)s does not apply to this reason."), code="rule_not_for_reason",
            params={"rule": rule_id})
    return rule_id


# ---------------------------------------------------------------------------
# Facts: what triggered the hold, as the platform supplied them
# ---------------------------------------------------------------------------
FACTS_MAX_KEYS = 12
FACT_KEY_MAX = 40
FACT_VALUE_MAX = 300
FACTS_MAX_BYTES = 2000
_FACT_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

# Labels for the keys platforms usually send; other keys are shown as they are.
FACT_LABELS = {
    "time": _("Time"),
    "region": _("Region"),
    "city": _("City"),
    "device": _("Device"),
    "ip": _("Network address"),
    "network": _("Network"),
    "amount": _("Amount"),
    "payee": _("Payee"),
    "content": _("Content"),
    "content_url": _("Content link"),
    "published_at": _("Published at"),
    "attempts": _("Attempts"),
    "authority": _("Authority"),
    "reference": _("Reference"),
    "detail": _("Detail"),
}


def facts_or_error(facts: Any) -> dict[str, str]:
    """Return ``facts`` if it is a small JSON object of strings; else a ValidationError."""
    if facts is None or facts == "":
        return {}
    if not isinstance(facts, dict):
        raise ValidationError(
            _("The facts must be a JSON object of short texts, like "
              "{\"region\": \"Guangdong\", \"time\": \"2026-03-01 02:14\"}."),
            code="facts_not_object")
    if len(facts) > FACTS_MAX_KEYS:
        raise ValidationError(_("Give at most %(n)d facts."), code="facts_too_many",
                              params={"n": FACTS_MAX_KEYS})
    for key, value in facts.items():
        if not isinstance(key, str) or not _FACT_KEY.match(key) or len(key) > FACT_KEY_MAX:
            raise ValidationError(
                _("Fact names are lower-case letters, digits and underscores, up to %(n)d "
                  "characters; “%(key)s” is not."),
                code="facts_key_invalid", params={"n": FACT_KEY_MAX, "key": str(key)[:60]})
        if not isinstance(value, str):
            raise ValidationError(_("The fact “%(key)s” must be a text."),
                                  code="facts_value_not_text", params={"key": key})
        if len(value) > FACT_VALUE_MAX:
            raise ValidationError(
                _("The fact “%(key)s” is longer than %(n)d characters."),
                code="facts_value_too_long", params={"key": key, "n": FACT_VALUE_MAX})
    if len(json.dumps(facts, ensure_ascii=False).encode()) > FACTS_MAX_BYTES:
        raise ValidationError(_("The facts are larger than %(n)d bytes."),
                              code="facts_too_large", params={"n": FACTS_MAX_BYTES})
    return {key: value.strip() for key, value in facts.items()}


def fact_label(key: str) -> str:
    return str(FACT_LABELS.get(key, key.replace("_", " ")))
