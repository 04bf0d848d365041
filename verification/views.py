"""The owner's wizard and progress page, and the staff image view.

Every step is saved in the draft request, so a reload (or another phone)
resumes where the owner left off. Views only parse input and call services.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.staff_two_step import staff_two_step_passed, staff_two_step_url
from accounts.staff_views import file_unavailable

from . import images, liveness, selectors, services
from .forms import FramesForm, IdentityForm, PhotoForm, SubjectForm
from .models import VerificationImage, VerificationRequest

logger = logging.getLogger(__name__)
State = VerificationRequest.State
STEP_TITLES = {
    "who": gettext_lazy("Who is being verified"),
    "identity": gettext_lazy("Your document"),
    "front": gettext_lazy("Front of the document"),
    "back": gettext_lazy("Back of the document"),
    "liveness": gettext_lazy("Liveness check"),
    "review": gettext_lazy("Check and submit"),
}


def _draft_or_redirect(request: HttpRequest, pk: int):
    vr = selectors.own_request(request.user, pk)
    if vr is None:
        raise Http404
    if vr.state != State.DRAFT:
        return vr, redirect("verification:progress", vr.pk)
    return vr, None


def _context(vr: VerificationRequest, step: str, **extra) -> dict:
    index = selectors.STEPS.index(step)
    return {
        "vr": vr, "step": step, "step_number": index + 1, "step_count": len(selectors.STEPS),
        "step_title": STEP_TITLES[step], "steps": selectors.STEPS,
        "redo_labels": selectors.redo_labels(vr), **extra,
    }


def _error_into(form, error: ValidationError, field: str | None = None) -> None:
    form.add_error(field, error)


@login_required
@never_cache
def start(request: HttpRequest) -> HttpResponse:
    """Intro page; POST opens (or resumes) the draft and goes to its next step."""
    if request.method == "POST":
        vr = services.verification_start(acting_user=request.user)
        if vr.state != State.DRAFT:
            return redirect("verification:progress", vr.pk)
        return redirect("verification:step", vr.pk, selectors.next_step(vr))
    open_request = services.verification_open_request(request.user)
    if open_request and open_request.state != State.DRAFT:
        return redirect("verification:progress", open_request.pk)
    return render(request, "verification/start.html", {
        "open_request": open_request, "latest": selectors.latest_request(request.user),
        "left_today": services.submissions_left_today(request.user),
    })


@login_required
@never_cache  # the details step shows the number read from the card
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One screen of the wizard."""
    if name not in selectors.STEPS:
        raise Http404
    vr, away = _draft_or_redirect(request, pk)
    if away:
        return away
    scope = selectors.consent_needed(vr, name)
    if scope is not None:  # its own page first; a photo posted without it is refused
        return _consent(request, vr, name, scope)
    handler = {"who": _step_who, "identity": _step_identity, "front": _step_photo,
               "back": _step_photo, "liveness": _step_liveness, "review": _step_review}[name]
    return handler(request, vr, name)


def _consent(request, vr, name, scope):
    if request.method == "POST" and request.POST.get("consent") == scope:
        services.verification_consent(request=vr, acting_user=request.user, scope=scope)
        return redirect("verification:step", vr.pk, name)
    return render(request, "verification/step_consent.html", _context(
        vr, name, scope=scope, retention_days=settings.PORTAL_IMAGE_RETENTION_DAYS),
        status=400 if request.method == "POST" else 200)


def _next(vr: VerificationRequest, current: str) -> HttpResponse:
    """Go to the step after ``current`` (or the first one still missing)."""
    wanted = selectors.next_step(vr)
    if vr.carried_from_id:  # a retry: only the parts asked again, then the summary
        return redirect("verification:step", vr.pk, wanted)
    order = selectors.STEPS
    following = order[min(order.index(current) + 1, len(order) - 1)]
    target = wanted if order.index(wanted) < order.index(following) else following
    return redirect("verification:step", vr.pk, target)


def _step_who(request, vr, name):
    initial = {"subject": vr.subject or "individual", "licence_number": vr.licence_number,
               "legal_representative": vr.legal_representative}
    form = SubjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            vr = services.verification_set_subject(request=vr, acting_user=request.user,
                                                   **form.cleaned_data)
            return _next(vr, name)
        except ValidationError as error:
            _error_into(form, error)
    return render(request, "verification/step_form.html", _context(vr, name, form=form))


def _step_identity(request, vr, name):
    prefill = selectors.prefill(vr)
    initial = {"legal_name": vr.legal_name or prefill.get("name", ""),
               "document_type": vr.document_type or prefill.get("document_type") or "cn_ric"}
    if not vr.number_encrypted and prefill.get("number"):
        initial["number"] = prefill["number"]  # the owner's own card, to confirm or correct
    form = IdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            vr = services.verification_set_details(
                request=vr, acting_user=request.user, subject=vr.subject,
                licence_number=vr.licence_number, legal_representative=vr.legal_representative,
                **form.cleaned_data,
            )
            return _next(vr, name)
        except ValidationError as error:
            _error_into(form, error, "number" if error.code.startswith(("ric", "number", "under"))
                        else None)
    return render(request, "verification/step_form.html", _context(
        vr, name, form=form, saved_number=vr.number_masked, prefill=prefill))


def _step_photo(request, vr, name):
    if request.method == "GET" and request.GET.get("keep") and vr.images.filter(kind=name).exists():
        return _next(vr, name)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_attach_image(
                request=vr, acting_user=request.user, kind=name, upload=form.cleaned_data["photo"])
            return _next(vr, name)
        except ValidationError as error:
            _error_into(form, error, "photo")
    has_photo = vr.images.filter(kind=name).exists()
    return render(request, "verification/step_photo.html", _context(
        vr, name, form=form, has_photo=has_photo))


def _step_liveness(request, vr, name):
    backend = liveness.backend()
    restart = request.method == "POST" and "restart" in request.POST
    if restart or not vr.liveness_challenge:
        vr = services.verification_liveness_start(request=vr, acting_user=request.user)
        if restart:
            return redirect("verification:step", vr.pk, name)
    expired = backend.is_expired(vr.liveness_challenge)
    form = FramesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and "frames" in request.FILES and form.is_valid():
        try:
            services.verification_liveness_add_frames(
                request=vr, acting_user=request.user, uploads=form.cleaned_data["frames"])
            return _next(vr, name)
        except ValidationError as error:
            _error_into(form, error, "frames")
    frame_count = selectors.frames(vr).count()
    return render(request, "verification/step_liveness.html", _context(
        vr, name, form=form, challenge=vr.liveness_challenge, expired=expired,
        actions=liveness.action_labels(vr.liveness_challenge), frame_count=frame_count,
        min_frames=backend.MIN_FRAMES, max_frames=backend.MAX_FRAMES,
    ))


def _step_review(request, vr, name):
    missing = selectors.missing_parts(vr)
    if request.method == "POST":
        try:
            services.verification_submit(request=vr, acting_user=request.user)
            return redirect("verification:progress", vr.pk)
        except ValidationError as error:
            messages.error(request, error.messages[0])
    return render(request, "verification/step_review.html", _context(
        vr, name, missing=missing, frame_count=selectors.frames(vr).count(),
        left_today=services.submissions_left_today(request.user),
    ))


@login_required
@require_POST
def liveness_frame(request: HttpRequest, pk: int) -> JsonResponse:
    """Receive one frame captured by the camera script."""
    vr = selectors.own_request(request.user, pk)
    if vr is None:
        raise Http404
    if vr.liveness_consent_at is None:
        return JsonResponse({"error": _("Agree to the liveness check first."),
                             "code": "consent_missing"}, status=400)
    upload = request.FILES.get("frame")
    if upload is None:
        return JsonResponse({"error": _("No frame was received.")}, status=400)
    try:
        services.verification_liveness_add_frame(request=vr, acting_user=request.user,
                                                 upload=upload)
    except ValidationError as error:
        return JsonResponse({"error": error.messages[0], "code": error.code}, status=400)
    return JsonResponse({"frames": selectors.frames(vr).count()})


@login_required
@never_cache
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a submitted request stands; refreshes itself until decided."""
    vr = selectors.own_request(request.user, pk)
    if vr is None:
        raise Http404
    if vr.state == State.DRAFT:
        return redirect("verification:step", vr.pk, selectors.next_step(vr))
    failed = [c for c in vr.checks.filter(passed=False) if c.code]
    return render(request, "verification/progress.html", {
        "vr": vr, "failed": failed, "left_today": services.submissions_left_today(request.user),
        "claim_hold": selectors.identity_claim_hold(request.user),
        "redo": selectors.redo_labels(vr),
    })


@login_required
@require_GET
@never_cache
def progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    vr = selectors.own_request(request.user, pk)
    if vr is None:
        raise Http404
    return JsonResponse({"state": vr.state, "decided": vr.is_decided})


@permission_required("verification.view_identity_images", raise_exception=True)
@require_GET
@never_cache
def staff_image(request: HttpRequest, image_pk: int) -> HttpResponse:
    """Serve one identity image to staff the access rule allows, recording the view.

    The image id is sequential: what protects an image is the rule checked
    here on every request, not the id (docs/staff-file-access.md).
    """
    image = get_object_or_404(
        VerificationImage.objects.select_related("request__account", "request__claimed_by"),
        pk=image_pk)
    refusal = selectors.image_refusal(image.request, request.user)
    if refusal is not None:
        return file_unavailable(request, refusal.messages[0], status=403)
    if not staff_two_step_passed(request):  # identity images need a code this session
        return redirect(staff_two_step_url(request.get_full_path()))
    if not image.name:
        return file_unavailable(
            request, _("This image was deleted after the retention period."), status=410)
    try:
        content = images.load(image.name)
    except FileNotFoundError:
        logger.error("Identity image %s is missing from private storage", image.pk)
        return file_unavailable(
            request, _("This image's file is missing from storage."), status=404)
    try:
        services.verification_images_viewed(request=image.request, acting_user=request.user,
                                            image=image)
    except ValidationError as error:  # the rule changed its answer meanwhile
        return file_unavailable(request, error.messages[0], status=403)
    response = HttpResponse(content, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
