"""Pages for owners arriving from the platform: hand-off links, deep links, OIDC.

A hand-off link is opened in two steps. GET shows a "Continue" button and
uses nothing, so a link-preview bot or a security scanner that fetches the
URL cannot burn it; the button POSTs (CSRF-protected) and that consumes the
link. A tiny script presses the button at once, so an owner coming from the
app does not notice the extra step; without JavaScript they tap it.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.contrib.auth import login, logout
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from . import services
from .models import Hold

logger = logging.getLogger(__name__)
LINK_BACKEND = "accounts.sign_in.SignInLinkBackend"


# ---------------------------------------------------------------------------
# Hand-off links
# ---------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the "Continue" page. POST: use the link and sign its owner in."""
    link = services.sign_in_link_find(token)
    if link is None:
        return _link_refused(request)
    someone_else = request.user.is_authenticated and request.user.pk != link.account_id
    if request.method == "POST" and (not someone_else or request.POST.get("switch") == "1"):
        return _use_link(request, token)
    if someone_else:
        # A link forwarded by someone else would sign this browser into their
        # account, and what it then uploads would be theirs: nothing happens
        # by itself, the page asks, in the signed-in owner's language.
        return render(request, "accounts/sign_in_link.html",
                      {"link": link, "signed_in_as": request.user})
    with translation.override(link.account.language):  # the owner's own language
        return render(request, "accounts/sign_in_link.html", {"link": link})


def _use_link(request: HttpRequest, token: str) -> HttpResponse:
    link = services.sign_in_link_consume(token)
    if link is None:
        return _link_refused(request)  # used or expired in the meantime
    if request.user.is_authenticated and request.user.pk != link.account_id:
        logout(request)  # the person at this browser chose to switch accounts
    login(request, link.account, backend=LINK_BACKEND)  # a new session key
    return _land(request, link.next_path, link.account.language)


def _link_refused(request: HttpRequest) -> HttpResponse:
    """One page, one status for used, expired, unknown and tampered links alike."""
    return render(request, "accounts/sign_in_link_refused.html", status=410)


def _land(request: HttpRequest, path: str, language: str) -> HttpResponse:
    if not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        path = reverse("accounts:status")  # never happens: paths are checked when issued
    response = redirect(path)
    response.status_code = 303
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# ---------------------------------------------------------------------------
# The deep link of a hold (the "portal_url" of the API's answers)
# ---------------------------------------------------------------------------
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the owner's hold; someone not signed in is told to open it from the app."""
    if not request.user.is_authenticated:
        return render(request, "accounts/open_from_app.html", {"next": request.get_full_path()})
    if not Hold.objects.filter(pk=pk, account=request.user).exists():
        raise Http404
    return redirect(f"{reverse('accounts:status')}#hold-{pk}")


# ---------------------------------------------------------------------------
# OIDC with the platform as identity provider (mozilla-django-oidc)
# ---------------------------------------------------------------------------
class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not settings.PORTAL_OIDC_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class OIDCStartView(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """Send the browser to the provider (state, nonce and PKCE kept in the session)."""


class OIDCCallbackView(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    """Finish the sign-in; any failure is one clear page and signs nobody in."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except SuspiciousOperation as error:  # wrong state, nonce, issuer, audience …
            logger.warning("OIDC sign-in refused: %s", error)
        except requests.RequestException as error:  # the provider did not answer
            logger.warning("OIDC provider unreachable: %s", error)
        return self.login_failure()

    def login_failure(self):
        if self.request.user.is_authenticated:
            logout(self.request)
        return render(self.request, "accounts/sign_in_failed.html", status=403)

    def login_success(self):
        next_url = self.success_url  # read before a sign-out empties the session
        current = getattr(self.request, "user", None)
        if current is not None and current.is_authenticated and current != self.user:
            logout(self.request)  # someone else was signed in on this browser
        if not self.request.user.is_authenticated:
            login(self.request, self.user)  # a new session key
        services.account_signed_in_with_platform(
            account=self.user, subject=self.user.platform_account_id
        )
        return HttpResponseRedirect(next_url)
