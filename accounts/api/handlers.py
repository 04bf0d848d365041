"""Django's error handlers (``handler400`` … in portal/urls.py), answering JSON
under /api/ and Django's own pages elsewhere.

DRF renders the errors of API views itself; these catch what happens before
a view runs or outside DRF: a bad Host header, a body Django refuses, an
exception in a middleware. A service client must never have to parse HTML.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"  # where portal/urls.py mounts accounts.api.urls


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _json(400, "bad_request", _("The request is malformed."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _json(403, "forbidden", _("You may not do this."))
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return _json(404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json(500, "server_error", _("Internal error."))
    return defaults.server_error(request)
