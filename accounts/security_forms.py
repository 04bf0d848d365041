"""Forms of the owner's security pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autocapitalize": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter the code.")},
    )


class SignInCodeForm(CodeForm):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off",
                                      "spellcheck": "false", "autofocus": True}),
        error_messages={"required": _("Enter the code.")},
    )


class SecureForm(forms.Form):
    reviewed = forms.BooleanField(
        label=_("I checked the sign-ins above; anything I do not recognise was not me, and "
                "every other device may be signed out."),
        required=False,
    )
