"""The owner's case pages: file an appeal, contact support, "this wasn't me", list,
progress with the thread (kept up to date without a reload), reply, download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Hold

from . import selectors, services
from .forms import AppealFileForm, NotMeForm, ReplyForm, SupportForm
from .models import Appeal, Message


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
    # A link may name the category (the identity claim from the verification result).
    asked = request.GET.get("category")
    initial = {"category": asked} if asked in Appeal.Category.values else {}
    form = AppealFileForm(request.POST or None, request.FILES or None, initial=initial)
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


def _case_context(request: HttpRequest, appeal: Appeal) -> dict:
    """What the case page and its live part show."""
    decided_appeal = appeal.kind == Appeal.Kind.APPEAL and not appeal.is_open
    wait = None
    if appeal.is_open and appeal.kind == Appeal.Kind.APPEAL:
        wait = selectors.expected_wait(appeal.reason)
    return {
        "appeal": appeal,
        "reason": appeal.hold.catalog if appeal.hold is not None else None,
        "steps": selectors.appeal_steps(appeal),
        "thread": selectors.owner_messages(appeal),
        "version": selectors.owner_thread_version(appeal),
        "expected_wait": wait,
        "eligibility": services.appeal_eligibility(hold=appeal.hold, account=request.user)
        if decided_appeal else None,
    }


@login_required
def appeal_detail(request: HttpRequest, pk: int, reply_form: ReplyForm | None = None,
                  status: int = 200) -> HttpResponse:
    appeal = selectors.owner_appeal(request.user, pk)
    return render(request, "appeals/detail.html", {
        **_case_context(request, appeal),
        "reply_form": reply_form or (ReplyForm() if appeal.is_open else None),
        "poll_seconds": settings.PORTAL_THREAD_POLL_SECONDS,
    }, status=status)


@login_required
@require_GET
@never_cache
def appeal_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the case page, for the page to poll: 204 while nothing changed."""
    appeal = selectors.owner_appeal(request.user, pk)
    version = selectors.owner_thread_version(appeal)
    seen = request.GET.get("v", "")
    if seen == version:
        return HttpResponse(status=204)
    context = _case_context(request, appeal)
    context["announce"] = _announcement(appeal, context["thread"], seen)
    return render(request, "appeals/_case_live.html", context)


def _announcement(appeal: Appeal, thread: list[Message], seen: str) -> str:
    """What a screen reader should hear about the change since version ``seen``."""
    seen_state, _sep, seen_message = seen.partition(":")
    newest = thread[-1] if thread else None
    if newest and str(newest.pk) != seen_message and newest.author_role != Message.Author.USER:
        return _("New message from staff.")
    if seen_state != appeal.state:
        return _("The case is now: %(state)s.") % {"state": appeal.get_state_display()}
    return ""


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



@login_required
def support_new(request: HttpRequest, hold_pk: int | None = None) -> HttpResponse:
    """Start a conversation with support, from a hold's card or from the help page."""
    hold = None
    if hold_pk is not None:
        hold = Hold.objects.filter(pk=hold_pk, account=request.user).first()
        if hold is None:
            return render(request, "appeals/hold_not_found.html", status=404)
    existing = services.support_open_conversation(request.user, hold)
    if existing is not None:
        messages.info(request, _("You already have an open conversation about this. "
                                 "Add your message here."))
        return redirect("appeals:detail", pk=existing.pk)
    form = SupportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.support_open(
                account=request.user, hold=hold, acting_user=request.user,
                body=form.cleaned_data["body"], files=form.cleaned_data["evidence"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your message was sent. A person from support will "
                                        "answer here."))
            return redirect("appeals:detail", pk=appeal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "appeals/support_new.html", {
        "hold": hold, "reason": hold.catalog if hold else None, "form": form,
        "sla": settings.PORTAL_SUPPORT_SLA,
    }, status=status)


@login_required
def not_me(request: HttpRequest, hold_pk: int) -> HttpResponse:
    """"This wasn't me" on a suspicious sign-in: confirm, then start the account-theft path."""
    hold = Hold.objects.filter(pk=hold_pk, account=request.user).first()
    if hold is None or hold.catalog.not_me_places is None:
        return render(request, "appeals/hold_not_found.html", status=404)
    form = NotMeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.takeover_report(
                account=request.user, hold=hold, keep_session_key=request.session.session_key,
                statement=form.cleaned_data["statement"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("We froze the account so nobody can use it, and signed "
                                        "out every other device. Next: verify your identity and "
                                        "secure the account."))
            return redirect("appeals:detail", pk=appeal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "appeals/not_me.html", {"hold": hold, "form": form}, status=status)
