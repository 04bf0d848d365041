"""Middleware of the owner's pages: the account's language, and two-step sign-in."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

# Set at sign-in for an account with two-step verification, removed once a
# code is accepted: until then the session reaches only the pages below.
TWO_STEP_PENDING = "_portal_two_step_pending"
_TWO_STEP_OPEN_PATHS = ("/static/", "/api/", "/health", "/metrics")
_TWO_STEP_OPEN_NAMES = ("accounts:two_step_verify", "logout", "accounts:switch_language",
                        "accounts:help")


class AccountLanguageMiddleware:
    """Show a signed-in owner's pages in the account's language, on every device.

    LocaleMiddleware picks the language from the cookie or the browser; the
    language an owner chose with the switcher wins once signed in, and the
    cookie is brought in line so pages before sign-in follow next time.
    Placed after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._account_language(request)
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Again after the view: a sign-in or the switcher may have changed it.
        language = self._account_language(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if (language and request.COOKIES.get(cookie) != language
                and cookie not in response.cookies):
            response.set_cookie(
                cookie, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    @staticmethod
    def _account_language(request: HttpRequest) -> str | None:
        # Only where a session exists, so a request without one costs no query.
        if not hasattr(request, "session") or request.session.session_key is None:
            return None
        user = getattr(request, "user", None)
        # An API request's user is its service client (no account, no language).
        if user is None or not user.is_authenticated:
            return None
        if getattr(user, "language_chosen_at", None) is None:
            return None
        language = getattr(user, "language", None)
        return language if language in dict(settings.LANGUAGES) else None


class TwoStepMiddleware:
    """Send a session that still owes its two-step code to the code page.

    The sign-in hook (``accounts.security``) marks the session when the
    account has a confirmed authenticator, whatever signed it in (password,
    a link from the platform); only the code page, sign-out, help and the
    language switch are open until a code is accepted.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (session is not None and session.session_key is not None
                and session.get(TWO_STEP_PENDING) and not self._is_open(request.path)):
            target = reverse("accounts:two_step_verify")
            return HttpResponseRedirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = _TWO_STEP_OPEN_PATHS + tuple(
                reverse(name) for name in _TWO_STEP_OPEN_NAMES)
        return path.startswith(_TWO_STEP_OPEN_PATHS) or path in self._open_paths
