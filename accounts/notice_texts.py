"""Notice texts kept as a message id and parameters, rendered in the reader's language.

A notice is read later, maybe after the owner switched language or on
another device, so its text is stored as what it is made of, not as words::

    notice_send(account=a, title=text(gettext_noop("Limit lifted: %(reason)s"),
                                      reason=reason_title(hold.reason)), ...)

``gettext_noop`` marks the message id for the catalog; parameters are plain
values or markers rendered at display time in the active language (a
reason's title, feature names, a date in the portal's time zone). A plain
``str`` (a staff member's message) is stored and shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from .reasons import CATALOG, Feature


@dataclass(frozen=True)
class Text:
    """A translatable message id with its parameters."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": self.params}

    def render(self) -> str:
        return render(self.as_json(), fallback=self.msgid)


def text(msgid: str, **params: Any) -> Text:
    """Return a Text; mark ``msgid`` with ``gettext_noop`` at the call site."""
    return Text(msgid, params)


# Parameter markers: JSON values rendered in the reader's language.
REASON_FIELDS = ("title", "explanation", "escalation_text", "handling_time")


def reason_title(code: str) -> dict[str, str]:
    return {"reason": code, "field": "title"}


def reason_text(code: str, field_name: str) -> dict[str, str]:
    """A translatable field of the reason catalog (``REASON_FIELDS``)."""
    return {"reason": code, "field": field_name}


def features(codes: list[str]) -> dict[str, list[str]]:
    return {"features": list(codes)}


def when(value: datetime) -> dict[str, str]:
    return {"datetime": value.isoformat()}


def nested(message: Text) -> dict[str, Any]:
    return {"text": message.as_json()}


def render(stored: dict[str, Any] | None, *, fallback: str = "") -> str:
    """Render a stored Text in the active language; ``fallback`` when there is none."""
    if not stored or "msgid" not in stored:
        return fallback
    params = {key: _param(value) for key, value in (stored.get("params") or {}).items()}
    try:
        return gettext(stored["msgid"]) % params if params else gettext(stored["msgid"])
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return fallback or stored["msgid"]


def _param(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "reason" in value:
        reason = CATALOG.get(value["reason"])
        name = value.get("field")
        if reason is None or name not in REASON_FIELDS:
            return value["reason"]
        return str(getattr(reason, name))
    if "features" in value:
        labels = dict(Feature.choices)
        return gettext(", ").join(str(labels.get(code, code)) for code in value["features"])
    if "datetime" in value:
        moment = parse_datetime(value["datetime"])
        if moment is None:
            return value["datetime"]
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if "text" in value:
        return render(value["text"])
    return str(value)


def stored(value: Text | str) -> tuple[str, dict[str, Any] | None]:
    """Return (the words in the active language, the JSON to keep) for a title or body."""
    if isinstance(value, Text):
        return value.render(), value.as_json()
    return str(value), None
