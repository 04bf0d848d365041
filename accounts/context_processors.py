"""Template context every page needs: the bell's unread count, the platform sign-in."""

from django.conf import settings

from .selectors import unread_notice_count


def portal(request) -> dict:
    # Read by the sign-in pages: offer "Sign in with <platform>" when OIDC is on.
    context = {
        "oidc_enabled": settings.PORTAL_OIDC_ENABLED,
        "oidc_provider_name": settings.PORTAL_OIDC_PROVIDER_NAME,
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    # Lazy, so pages that do not show the bell do not pay for the query.
    context["unread_notice_count"] = lambda: unread_notice_count(user)
    return context
