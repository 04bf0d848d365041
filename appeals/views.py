"""The owner's appeal pages: file, list, progress with the thread, reply, download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Hold

from . import selectors, services
from .forms import AppealFileForm, ReplyForm


def _add_errors(form, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


@login_required
def appeal_file(request: HttpRequest, hold_pk: int) -> HttpResponse:
    """The filing form for one of the owner's holds, with the rules explained."""
    hold = Hold.objects.filter(pk=hold_pk, account=request.user).first()
    if hold is None:
        # Same answer whether the hold is someone else's or does not exist.
        return render(request, "appeals/hold_not_found.html", status=404)
    eligibility = services.appeal_eligibility(hold=hold, account=request.user)
    form = AppealFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and eligibility.allowed and form.is_valid():
        try:
            appeal = services.appeal_file(
                account=request.user, hold=hold, acting_user=request.user,
                category=form.cleaned_data["category"],
                statement=form.cleaned_data["statement"], files=form.cleaned_data["evidence"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your appeal was filed. We will tell you about each step."))
            return redirect("appeals:detail", pk=appeal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "appeals/file.html", {
        "hold": hold, "reason": hold.catalog, "eligibility": eligibility, "form": form,
        "cooldown_days": settings.PORTAL_APPEAL_COOLDOWN.days,
    }, status=status)


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    appeals = selectors.owner_appeals(request.user).select_related("hold")
    return render(request, "appeals/list.html", {"appeals": appeals})


@login_required
def appeal_detail(request: HttpRequest, pk: int, reply_form: ReplyForm | None = None,
                  status: int = 200) -> HttpResponse:
    appeal = selectors.owner_appeal(request.user, pk)
    return render(request, "appeals/detail.html", {
        "appeal": appeal,
        "reason": appeal.hold.catalog,
        "steps": selectors.appeal_steps(appeal),
        "thread": selectors.owner_messages(appeal),
        "expected_wait": selectors.expected_wait(appeal.reason) if appeal.is_open else None,
        "reply_form": reply_form or (ReplyForm() if appeal.is_open else None),
        "eligibility": None if appeal.is_open else services.appeal_eligibility(
            hold=appeal.hold, account=request.user),
    }, status=status)


@login_required
@require_POST
def appeal_reply(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = selectors.owner_appeal(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.appeal_user_reply(appeal=appeal, acting_user=request.user,
                                       body=form.cleaned_data["body"],
                                       files=form.cleaned_data["evidence"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your message was added to the appeal."))
            return redirect("appeals:detail", pk=appeal.pk)
    return appeal_detail(request, pk, reply_form=form, status=400)


@login_required
def attachment_download(request: HttpRequest, appeal_pk: int, pk: int) -> FileResponse:
    """Serve an evidence file to its owner only; 404 for anyone else."""
    attachment = selectors.owner_attachment(request.user, appeal_pk, pk)
    return evidence_response(attachment)


def evidence_response(attachment) -> FileResponse:
    """Stream a stored file with a safe type; PDFs download rather than render."""
    handle = attachment.file.open("rb")
    extension = attachment.file.name.rsplit(".", 1)[-1]
    response = FileResponse(handle, content_type=attachment.content_type,
                            as_attachment=not attachment.is_image,
                            filename=f"evidence-{attachment.pk}.{extension}")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

