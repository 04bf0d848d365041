"""Forms of the accounts app: signing in; staff placing and lifting holds."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Hold
from .reasons import REASON_CHOICES, Feature, Level
from .rules import RULE_CHOICES, DecisionMode


class SignInForm(AuthenticationForm):
    """Django's sign-in form with messages that are true for this portal.

    The backend lets a closed account's correct password through so that
    this form can say the account is closed, instead of claiming the
    password was wrong (Django's own ``confirm_login_allowed`` refuses it).
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": _("This account has been closed, so it cannot sign in."),
    }


class HoldPlaceForm(forms.Form):
    """What staff fill in to place a hold. The service does the validation
    that needs the catalog; this form only parses input."""

    reason = forms.ChoiceField(label=_("Reason"), choices=REASON_CHOICES)
    level = forms.ChoiceField(
        label=_("Level"),
        choices=[("", _("The reason's default"))] + list(Level.choices),
        required=False,
    )
    features = forms.MultipleChoiceField(
        label=_("Blocked features"),
        choices=Feature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the reason's default features."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Only for reasons that escalate when it passes."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    public_message = forms.CharField(
        label=_("Message to the user"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    internal_note = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    # The statement of reasons the owner reads on the hold's card.
    rule = forms.ChoiceField(
        label=_("Rule applied"),
        choices=[("", _("The reason's default rule")), *RULE_CHOICES],
        required=False,
    )
    facts = forms.JSONField(
        label=_("Facts that triggered it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('Shown to the owner as written, e.g. {"region": "Guangdong", '
                    '"time": "2026-03-01 02:14"}.'),
    )
    decision_mode = forms.ChoiceField(
        label=_("Decided by"),
        choices=[("", _("Staff holds: a person"))] + list(DecisionMode.choices),
        required=False,
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "level": data["level"] or None,
            "features": data["features"] or None,
            "deadline": data["deadline"],
            "expires_at": data["expires_at"],
            "public_message": data["public_message"],
            "internal_note": data["internal_note"],
            "rule": data["rule"] or None,
            "facts": data["facts"] or None,
            "decision_mode": data["decision_mode"] or None,
        }


STAFF_LIFT_REASONS = [(reason, reason.label) for reason in Hold.MANUAL_LIFT_REASONS]


class HoldLiftForm(forms.Form):
    lift_reason = forms.ChoiceField(
        label=_("Why"), choices=STAFF_LIFT_REASONS, initial=Hold.LiftReason.STAFF
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
