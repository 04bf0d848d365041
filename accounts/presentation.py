"""How holds are put into words and buttons for the owner."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Hold
from .reasons import Remedy


@dataclass(frozen=True)
class RemedyAction:
    label: str
    url: str | None
    primary: bool


_REMEDY_URLS = {
    Remedy.VERIFY: ("verification:start", False),
    Remedy.APPEAL: ("appeals:file", True),
    Remedy.SECURE: ("password_change", False),
}
_REMEDY_HELP_ANCHORS = {Remedy.PAY: "pay", Remedy.CONTACT: "contact", Remedy.WAIT: "wait"}


def _remedy_url(remedy: str, hold: Hold) -> str | None:
    if remedy in _REMEDY_URLS:
        name, takes_hold = _REMEDY_URLS[remedy]
        try:
            return reverse(name, args=[hold.pk] if takes_hold else [])
        except NoReverseMatch:  # that flow is not installed: fall back to help
            pass
    return reverse("accounts:help") + "#" + _REMEDY_HELP_ANCHORS.get(remedy, "contact")


def remedy_actions(hold: Hold) -> list[RemedyAction]:
    """Return the buttons for a hold's remedies, the first one primary."""
    reason = hold.catalog
    remedies = [r for r in reason.remedies if r != Remedy.APPEAL or reason.appealable]
    return [
        RemedyAction(label=str(Remedy(r).label), url=_remedy_url(r, hold), primary=i == 0)
        for i, r in enumerate(remedies)
    ]


STATUS_SUMMARIES = {
    "active": _("Your account is in good standing. Nothing is limited."),
    "restricted": _("Some features are limited. Everything else works as usual."),
    "frozen": _("Your account is frozen to protect it. It is temporary: your data is kept."),
    "banned": _("Your account is banned. Your data is not deleted, and you can appeal."),
}
