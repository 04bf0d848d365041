"""Template helpers for the appeal pages."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appeals.models import Appeal

register = template.Library()


@register.filter
def duration_words(value: timedelta | None) -> str:
    """Say a duration roughly: "3 hours", "2 days", "40 minutes"."""
    if value is None:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = round(hours / 24)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@register.filter
def owner_state(appeal: Appeal) -> str:
    """The state as the owner reads it: the wait is theirs, so say so."""
    if appeal.state == Appeal.State.AWAITING_USER:
        return _("Waiting for your answer")
    return appeal.get_state_display()
