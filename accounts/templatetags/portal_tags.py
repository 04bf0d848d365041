"""Template helpers that turn stored codes into words."""

from django import template
from django.utils.translation import gettext as _

from accounts.models import Account, StatusEvent
from accounts.reasons import CATALOG
from accounts.rules import fact_label as _fact_label

register = template.Library()
_STATUS_LABELS = dict(Account.Status.choices)


@register.filter
def status_label(code: str) -> str:
    return str(_STATUS_LABELS.get(code, code))


@register.filter
def event_text(event: StatusEvent) -> str:
    """One line for the timeline: what happened, in words."""
    label = str(event.get_kind_display())
    if event.kind == StatusEvent.Kind.STATUS_CHANGED:
        if event.data.get("old") == event.data.get("new"):
            return _("What is blocked changed; status stays %(status)s") % {
                "status": status_label(event.data.get("new", ""))
            }
        return _("Status changed from %(old)s to %(new)s") % {
            "old": status_label(event.data.get("old", "")),
            "new": status_label(event.data.get("new", "")),
        }
    reason = CATALOG.get(event.hold.reason) if event.hold_id else None
    if reason is None:
        return label
    return _("%(what)s: %(reason)s") % {"what": label, "reason": reason.title}


@register.filter
def fact_label(key: str) -> str:
    """The words for a fact's key ("region" → "Region"); unknown keys as they are."""
    return _fact_label(key)
