"""Forms of the wizard and of the staff decision. Services re-validate everything."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import documents
from .models import VerificationRequest

Subject = VerificationRequest.Subject


class SubjectForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("Who is being verified?"), choices=Subject.choices, widget=forms.RadioSelect,
        initial=Subject.INDIVIDUAL,
    )
    licence_number = forms.CharField(
        label=_("Business licence code (unified social credit code)"), required=False,
        max_length=30, help_text=_("18 characters, printed on the business licence."),
    )
    legal_representative = forms.CharField(
        label=_("Legal representative"), required=False, max_length=100,
        help_text=_("The person named on the licence. Their document is used in the next step."),
    )

    def clean(self):
        data = super().clean()
        if data.get("subject") == Subject.ORGANIZATION:
            try:
                data["licence_number"] = documents.validate_licence_number(
                    data.get("licence_number", ""))
            except ValidationError as error:
                self.add_error("licence_number", error)
            if not data.get("legal_representative", "").strip():
                self.add_error("legal_representative",
                               ValidationError(_("Enter the legal representative's name."),
                                               code="representative_missing"))
        return data


class IdentityForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=100,
        help_text=_("Exactly as printed on the document."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    document_type = forms.ChoiceField(
        label=_("Document type"), choices=VerificationRequest.DocumentType.choices
    )
    number = forms.CharField(
        label=_("Document number"), max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("document_type") and data.get("number"):
            try:
                data["number"] = documents.validate_document_number(
                    data["document_type"], data["number"])
            except ValidationError as error:
                self.add_error("number", error)
        return data


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={
            "accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,image/*",
            "capture": "environment", "class": "js-photo-input",
        }),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented recipe for a field taking several files."""

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)]


class FramesForm(forms.Form):
    """The upload fallback of the liveness step: several selfies in a row."""

    frames = MultipleFileField(
        label=_("Photos of your face"),
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "user", "multiple": True}),
        help_text=_("Take three or more photos while doing the actions above."),
    )


class DecisionForm(forms.Form):
    """The reviewer's decision in admin."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve"))] + [
            (f"reject:{value}", format_lazy("{} · {}", _("Reject"), label))
            for value, label in VerificationRequest.Decision.choices
        ],
    )
    message = forms.CharField(
        label=_("Message to the user"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
