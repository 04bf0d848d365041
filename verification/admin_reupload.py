"""The reviewer's "ask for one part again" on the case page: its own URL and form.

Kept apart from the case page (``admin.py``) so the page can change without
touching it: the page includes ``admin/verification/_request_reupload.html``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _

from accounts.models import Account

from . import services
from .forms import ReuploadForm
from .models import VerificationRequest


class ReuploadAdminMixin(admin.ModelAdmin):
    """Adds ``<pk>/reupload/`` and the form's context to the verification case page."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:object_id>/reupload/", view(self.reupload_view),
                     name="verification_verificationrequest_reupload"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        extra.setdefault("reupload_form", ReuploadForm())
        return super().change_view(request, object_id, form_url, extra)

    def reupload_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = get_object_or_404(VerificationRequest, pk=object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        back = HttpResponseRedirect(
            reverse("admin:verification_verificationrequest_change", args=[case.pk]))
        form = ReuploadForm(request.POST)
        if not form.is_valid():
            errors = [str(e) for field in form.errors.values() for e in field]
            self.message_user(request, " ".join(errors), messages.ERROR)
            return back
        staff = request.user
        assert isinstance(staff, Account)  # admin_view let only staff in
        try:
            services.verification_request_reupload(
                request=case, acting_user=staff, part=form.cleaned_data["part"],
                message=form.cleaned_data["message"])
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return back
        self.message_user(request, _("The owner is asked to take it again."),
                          messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:verification_verificationrequest_changelist"))
