"""The owner's pages: status, help, notices; sign-in glue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import cards, selectors, services


@login_required
def status(request: HttpRequest) -> HttpResponse:
    """The home page: overall status, one card per active hold (the most urgent first,
    each following its case), the security checklist after a security hold, the timeline."""
    page = selectors.status_page(request.user)
    hold_cards = cards.status_cards(page)
    return render(
        request,
        "accounts/status.html",
        {
            "account": page.account,
            "summary": cards.status_summary(page),
            "cards": hold_cards,
            "all_protective": all(card.reason.protective for card in hold_cards),
            "checklist": cards.security_checklist(page),
            "general_support": cards.general_support_line(page),
            "events": page.events,
        },
    )


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
