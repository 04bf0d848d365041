"""The owner's security pages: sign-ins and sessions, securing the account after a
hold, two-step verification, and the checklist after a security hold."""

from __future__ import annotations

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services
from .middleware import TWO_STEP_PENDING
from .models import AccountSession, Hold
from .security_forms import CodeForm, SecureForm, SignInCodeForm
from .services.security import pending_device


def _errors_into(form, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def _sessions(request: HttpRequest) -> list[AccountSession]:
    return list(AccountSession.objects.filter(account=request.user)
                .order_by("-signed_in_at", "session_key"))


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Recent sign-ins, signed-in devices, two-step verification, password."""
    return render(request, "accounts/security.html", {
        "sign_ins": selectors.account_sign_ins(request.user),
        "sessions": _sessions(request),
        "current_key": request.session.session_key,
        "two_step_on": services.two_step_device(request.user) is not None,
    })


@login_required
@require_POST
def sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out on every device but this one."""
    ended = services.sessions_end_others(account=request.user,
                                         keep_session_key=request.session.session_key)
    messages.success(request, _("Signed out on %(n)d other device(s).") % {"n": ended})
    return redirect("accounts:security")


@login_required
def secure(request: HttpRequest, hold_pk: int) -> HttpResponse:
    """Secure the account, a step of a security hold: password, sign-ins, other devices."""
    hold = Hold.objects.filter(pk=hold_pk, account=request.user).first()
    if hold is None:
        return render(request, "appeals/hold_not_found.html", status=404)
    form = SecureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_secure(account=request.user, hold=hold,
                                    keep_session_key=request.session.session_key,
                                    reviewed_sign_ins=form.cleaned_data["reviewed"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Your account is secured: every other device is signed "
                                        "out."))
            return redirect("accounts:status")
    needs_password = request.user.has_usable_password()
    return render(request, "accounts/secure.html", {
        "hold": hold, "form": form,
        "needs_password": needs_password,
        "password_changed": needs_password and services.password_changed_since(
            request.user, hold.placed_at) is not None,
        "sign_ins": selectors.account_sign_ins(request.user)[:10],
        "other_sessions": [s for s in _sessions(request)
                           if s.session_key != request.session.session_key],
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def checklist_done(request: HttpRequest) -> HttpResponse:
    services.security_checklist_done(account=request.user)
    messages.success(request, _("Thank you. You can come back to the security page at any time."))
    return redirect("accounts:status")


# ---------------------------------------------------------------------------
# Two-step verification
# ---------------------------------------------------------------------------
def _qr_svg(url: str) -> str:
    """The set-up QR code as inline SVG, made here (no outside service sees the secret)."""
    return mark_safe(segno.make(url, error="m").svg_inline(
        scale=5, border=3, dark="#000", light="#fff", omitsize=False))


@login_required
@never_cache
def two_step_setup(request: HttpRequest) -> HttpResponse:
    """Scan the code, enter the first number; then the recovery codes are shown once."""
    if services.two_step_device(request.user) is not None:
        return redirect("accounts:security")
    device = pending_device(request.user)
    if device is None or request.method == "GET" and "new" in request.GET:
        device = services.two_step_setup_start(account=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_step_confirm(account=request.user,
                                              token=form.cleaned_data["code"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            django_otp.login(request, services.two_step_device(request.user))
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    secret = _base32(device.bin_key)
    return render(request, "accounts/two_step_setup.html", {
        "form": form, "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    }, status=400 if request.method == "POST" else 200)


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode()


@never_cache
def two_step_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for an account with an authenticator."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.session.get(TWO_STEP_PENDING):
        return redirect("accounts:status")
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_step_check(account=request.user,
                                             token=form.cleaned_data["code"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            request.session.pop(TWO_STEP_PENDING, None)
            django_otp.login(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                   require_https=request.is_secure()):
                target = ""
            return redirect(target or "accounts:status")
    return render(request, "accounts/two_step_verify.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@never_cache
def two_step_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.two_step_disable(account=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Two-step verification is off."))
            return redirect("accounts:security")
    return render(request, "accounts/two_step_disable.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes (the old ones stop working)."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.recovery_codes_renew(account=request.user,
                                                  token=form.cleaned_data["code"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return render(request, "accounts/recovery_codes_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)
