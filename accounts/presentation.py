"""How holds are put into words and buttons for the owner."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Hold
from .reasons import Remedy

_REMEDY_URLS = {
    Remedy.VERIFY: ("verification:start", False),
    Remedy.APPEAL: ("appeals:file", True),
    Remedy.SECURE: ("accounts:secure", True),
}
_REMEDY_HELP_ANCHORS = {Remedy.PAY: "pay", Remedy.CONTACT: "contact", Remedy.WAIT: "wait"}


def remedy_url(remedy: str, hold: Hold) -> str | None:
    if remedy in _REMEDY_URLS:
        name, takes_hold = _REMEDY_URLS[remedy]
        try:
            return reverse(name, args=[hold.pk] if takes_hold else [])
        except NoReverseMatch:  # that flow is not installed: fall back to help
            pass
    return reverse("accounts:help") + "#" + _REMEDY_HELP_ANCHORS.get(remedy, "contact")


STATUS_SUMMARIES = {
    "active": _("Your account is in good standing. Nothing is limited."),
    "restricted": _("Some features are limited. Everything else works as usual."),
    "frozen": _("Your account is frozen to protect it. It is temporary: your data is kept."),
    "banned": _("Your account is banned. Your data is not deleted, and you can appeal."),
}
