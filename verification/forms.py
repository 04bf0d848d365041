"""Forms of the wizard and of the staff decision. Services re-validate everything."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
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
    # Optional once a number is saved: empty keeps it (the service decides).
    number = forms.CharField(
        label=_("Document number"), max_length=40, required=False,
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


# A re-upload is asked by its own form, which names the part (admin_reupload).
REJECT_REASONS = [
    (value, label) for value, label in VerificationRequest.Decision.choices
    if value != VerificationRequest.Decision.REUPLOAD
]


class DecisionForm(forms.Form):
    """The reviewer's decision in admin: approve, or reject with a reason, and a message.

    ``decision`` comes from the button pressed; the older one-select form
    (``reject:<reason>``) is still understood.
    """

    decision = forms.CharField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Reason to reject"), required=False,
        choices=[("", _("— choose a reason to reject —")), *REJECT_REASONS],
        widget=forms.Select(attrs={"data-review-key": "r"}),
    )
    message = forms.CharField(
        label=_("Message to the user"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    open_next = forms.BooleanField(label=_("then open the next case"), required=False)

    def clean(self):
        data = super().clean()
        decision = data.get("decision", "")
        if decision.startswith("reject:"):
            decision, data["reason"] = "reject", decision.split(":", 1)[1]
        if decision not in ("approve", "reject"):
            raise ValidationError(_("Choose a decision."), code="no_decision")
        if decision == "reject" and data.get("reason") not in dict(REJECT_REASONS):
            raise ValidationError(_("Choose a reason to reject."), code="no_reason")
        data["decision"] = decision
        return data


class ReuploadForm(forms.Form):
    """The reviewer asks for one part again, saying why (the owner reads the message)."""

    def __init__(self, *args, **kwargs):
        # On the case page beside the decision form, whose fields share these names:
        # ids of their own keep every label tied to its field.
        kwargs.setdefault("auto_id", "id_reupload_%s")
        super().__init__(*args, **kwargs)

    part = forms.ChoiceField(
        label=_("Part to take again"),
        choices=[(p.value, p.label) for p in VerificationRequest.REUPLOAD_PARTS],
    )
    message = forms.CharField(
        label=_("Message to the user"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
