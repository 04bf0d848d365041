"""Forms for filing an appeal and replying; evidence is validated here, before any write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .models import MESSAGE_MAX_LENGTH, Appeal
from .uploads import CleanFile, evidence_clean

if TYPE_CHECKING:  # a type of the stubs, not installed in production
    from django_stubs_ext import StrOrPromise


def _filled(message: StrOrPromise, **values) -> str:
    return message % values


# A help text with a number in it, translated when shown (a form field is made
# once, at import, in no one's language).
filled = lazy(_filled, str)

ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,application/pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Zero or more files, each sniffed, checked and re-encoded into a CleanFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT, "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[CleanFile]:
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        limit = settings.PORTAL_APPEAL_EVIDENCE_MAX_FILES
        if len(uploads) > limit:
            raise ValidationError(_("Attach at most %(n)d files.") % {"n": limit},
                                  code="too_many_files")
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(evidence_clean(upload))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _statement_field() -> forms.CharField:
    limit = settings.PORTAL_APPEAL_STATEMENT_MAX
    return forms.CharField(
        label=_("Your statement"),
        widget=forms.Textarea(attrs={"rows": 6}),
        # No max_length here: the limit is checked in clean so the message can
        # say how long the text is; the browser is not asked to cut it silently.
        help_text=filled(
            _("Say what happened and why the limit is wrong, in up to %(n)d characters."), n=limit),
        error_messages={"required": _("Write your statement: it cannot be empty.")},
    )


def _check_length(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise ValidationError(_("Write a few words: the text cannot be empty."), code="empty")
    if len(text) > limit:
        raise ValidationError(
            _("Your text is %(n)d characters long; the limit is %(limit)d. Shorten it.")
            % {"n": len(text), "limit": limit}, code="too_long")
    return text


class AppealFileForm(forms.Form):
    category = forms.ChoiceField(label=_("What is the appeal about?"),
                                 choices=Appeal.Category.choices)
    statement = _statement_field()
    evidence = EvidenceField(
        label=_("Evidence (optional)"),
        help_text=filled(_("Photos (JPEG, PNG, WebP, HEIC) or PDF, up to %(n)d files."),
                         n=settings.PORTAL_APPEAL_EVIDENCE_MAX_FILES))

    def clean_statement(self) -> str:
        return _check_length(self.cleaned_data["statement"], settings.PORTAL_APPEAL_STATEMENT_MAX)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your message: it cannot be empty.")})
    evidence = EvidenceField(label=_("Attach files (optional)"))

    def clean_body(self) -> str:
        return _check_length(self.cleaned_data["body"], MESSAGE_MAX_LENGTH)


class SupportForm(forms.Form):
    """The first message of a conversation with support."""

    body = forms.CharField(
        label=_("Your message to support"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say what you need. A person answers here; you will get a notice."),
        error_messages={"required": _("Write your message: it cannot be empty.")})
    evidence = EvidenceField(
        label=_("Attach files (optional)"),
        help_text=filled(_("Photos (JPEG, PNG, WebP) or PDF, up to %(n)d files."),
                         n=settings.PORTAL_APPEAL_EVIDENCE_MAX_FILES))

    def clean_body(self) -> str:
        return _check_length(self.cleaned_data["body"], settings.PORTAL_APPEAL_STATEMENT_MAX)


class NotMeForm(forms.Form):
    """"This wasn't me": an optional word for the appeal that it opens."""

    statement = forms.CharField(
        label=_("Anything to add? (optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: where you were at that time, or that you lost your phone."))

    def clean_statement(self) -> str:
        text = self.cleaned_data["statement"].strip()
        if len(text) > settings.PORTAL_APPEAL_STATEMENT_MAX:
            raise ValidationError(
                _("Your text is %(n)d characters long; the limit is %(limit)d. Shorten it.")
                % {"n": len(text), "limit": settings.PORTAL_APPEAL_STATEMENT_MAX},
                code="too_long")
        return text


class StaffActionForm(forms.Form):
    """The admin page's one form: a text, optional files, and which button was pressed."""

    ACTIONS = ("claim", "release", "reply", "note", "ask", "accept", "reject", "escalate",
               "assign", "resolve", "takeover", "macro", "next")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))
    evidence = EvidenceField(label=_("Attach files (optional)"))
    assignee = forms.IntegerField(required=False)
    macro = forms.IntegerField(required=False)  # "insert" without JavaScript
    open_next = forms.BooleanField(required=False)
