"""The owner's pages: status, help, notices; sign-in glue (lockout page,
password reset with its limits)."""

from __future__ import annotations

import math

from axes.helpers import get_client_username
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import cards, page_cache, selectors, services, signin
from .forms import SignInForm


@login_required
def status(request: HttpRequest) -> HttpResponse:
    """The home page: overall status, one card per active hold (the most urgent first,
    each following its case), the security checklist after a security hold, the timeline.

    The page is kept while nothing it shows changes (accounts/page_cache.py): a
    reload with nothing new costs one query besides the session's and the user's.
    """
    found = selectors.status_page_fingerprint(request.user)
    key = page_cache.page_key(request, *found) if found and page_cache.usable(request) else None
    html = page_cache.page_get(key) if key else None
    if html is None:
        # The bell's count comes with the fingerprint (or the page's facts); the
        # context processor's lazy count, for every other page, would be one more query.
        html = _status_html(request, unread=found[1] if found else None)
        if key:
            page_cache.page_set(key, html)
    return HttpResponse(html)


def _status_html(request: HttpRequest, *, unread: int | None) -> str:
    before = selectors.timeline_cursor(request.GET.get("before"))  # an older timeline page
    page = selectors.status_page(request.user, before=before)
    content = render_to_string("accounts/_status_content.html", _status_context(page),
                               request=request)
    return render_to_string("accounts/status.html", {
        "content": mark_safe(content),  # our own rendering, escaped when it was made
        "unread_notice_count": page.unread_notices if unread is None else unread,
    }, request=request)


def _status_context(page: selectors.StatusPage) -> dict:
    hold_cards = cards.status_cards(page)
    return {
        "account": page.account,
        "summary": cards.status_summary(page),
        "cards": hold_cards,
        "all_protective": all(card.reason.protective for card in hold_cards),
        "checklist": cards.security_checklist(page),
        "general_support": cards.general_support_line(page),
        "events": page.events,
        "older_events": page.older_events,
        "timeline_paged": page.paged,
    }


def help_page(request: HttpRequest) -> HttpResponse:
    """Self-check table and FAQ; readable without signing in, with a way to support."""
    return render(request, "accounts/help.html")


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The bell's page: every notice, newest first, in the reader's language; opening it
    marks them read."""
    items = list(selectors.account_notices(request.user)[:100])
    services.notices_mark_read(account=request.user)
    return render(request, "accounts/notices.html", {"notices": items})


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, plus remembering the choice for notices and email."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(
        request.user._meta.get_field("language").choices
    ):
        services.account_set_language(account=request.user, language=language)
    return response


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): say when the pause ends."""
    ends_at = signin.lockout_ends_at(get_client_username(request, credentials),
                                     signin.client_address(request))
    minutes = None
    if ends_at is not None:
        minutes = max(1, math.ceil((ends_at - timezone.now()).total_seconds() / 60))
    return render(request, "registration/locked_out.html",
                  {"ends_at": ends_at, "minutes": minutes}, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per client address and per email address."""

    def form_valid(self, form):
        refusal = signin.password_reset_refusal(self.request, form.cleaned_data["email"])
        if refusal is None:
            return super().form_valid(form)
        form.add_error(None, _reset_refusal_message(refusal))
        return self.render_to_response(self.get_context_data(form=form), status=429)


def _reset_refusal_message(refusal: signin.Refusal) -> str:
    at = formats.time_format(timezone.localtime(refusal.retry_at), "H:i")
    if refusal.limit == "address":
        return _("Too many reset links were asked for from your network. "
                 "You can ask again after %(time)s.") % {"time": at}
    return _("Reset links for this address were asked for several times recently. If an "
             "account has this address, they are on their way: check your inbox and spam "
             "folder. You can ask again after %(time)s.") % {"time": at}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset; a completed reset also ends any sign-in lockout of the account."""

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.lockout_clear(form.user.get_username())
        services.account_password_changed(account=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password and log it: this is how an owner secures an account."""

    success_url = reverse_lazy("accounts:status")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.account_password_changed(account=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


def root(request: HttpRequest) -> HttpResponse:
    return redirect("accounts:status")
