"""Download my data: a JSON file, or a page to read or print. Any status may use it,
a frozen or banned account included (the portal lets them sign in)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .export import account_data


@login_required
def data_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/data.html")


def _filename(request: HttpRequest, extension: str) -> str:
    day = timezone.localdate().isoformat()
    return f"my-data-{request.user.pk}-{day}.{extension}"


@login_required
@require_POST
@never_cache
def data_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The owner's data as a file (``json`` or ``html``); the download is in their timeline."""
    data = account_data(request.user)
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        body = render_to_string("accounts/data_export.html", {"data": data}, request=request)
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, fmt)}"'
    services.account_data_exported(account=request.user, fmt=fmt)
    return response
