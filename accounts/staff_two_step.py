"""Two-step verification for staff who open identity images (issue 12, item 8).

Staff need a confirmed authenticator (TOTP) and a code from it entered in
this session (``django_otp.login`` keeps the device in the session) before
an identity image is served. A recovery code does not count here.
"""

from __future__ import annotations

import django_otp
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .security_forms import CodeForm


def staff_two_step_passed(request: HttpRequest) -> bool:
    """Whether this session passed a code from the user's confirmed authenticator."""
    if not request.user.is_authenticated:
        return False
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    return device is not None and \
        request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id


def staff_two_step_url(next_url: str) -> str:
    return f"{reverse('accounts:staff_two_step')}?next={next_url}"


@login_required
@never_cache
def staff_two_step(request: HttpRequest) -> HttpResponse:
    """Ask a staff member for their authenticator code, or say how to set one up."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and has_device and form.is_valid():
        try:
            device = services.staff_two_step_check(account=request.user,  # type: ignore[arg-type]
                                                   token=form.cleaned_data["code"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            django_otp.login(request, device)
            return redirect(target or "admin:index")
    return render(request, "staff/two_step.html", {
        "form": form, "has_device": has_device, "next": target,
        "setup_url": reverse("accounts:two_step_setup"),
    }, status=400 if request.method == "POST" else (200 if has_device else 403))
