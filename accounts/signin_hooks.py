"""What happens after any sign-in (password, a link from the platform, OIDC):
keep the sign-in, label the session, and ask for the two-step code if the
account has an authenticator.

A ``user_logged_in`` receiver, connected in ``AccountsConfig.ready()``, so it
runs for every way of signing in and stays apart from the sign-in policy
(backends, forms, lockout), which decides *whether* one may sign in.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services, signin
from .middleware import TWO_STEP_PENDING
from .sessions import ADDRESS_KEY, DEVICE_KEY, SIGNED_IN_AT_KEY


def client_address(request: HttpRequest) -> str | None:
    """The client's network address, behind the configured proxies (``accounts.signin``)."""
    return signin.client_address(request)


@lru_cache(maxsize=512)
def device_label(user_agent: str) -> str:
    """A short name for the device a user agent string describes ("Chrome on Android")."""
    if not user_agent:
        return _("Unknown device")
    from ua_parser import parse  # its rules load on first use (about a second, once)

    parsed = parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    device = parsed.device
    model = device.model if device and device.model and device.model != "Other" else ""
    parts = [part for part in (browser, system, model) if part and part != "Other"]
    if not parts:
        return user_agent[:60]
    return " · ".join(dict.fromkeys(parts))


def on_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Record the sign-in and label the session (``user_logged_in`` receiver)."""
    if request is None or not getattr(user, "pk", None):
        return
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:400]
    device, address = device_label(user_agent), client_address(request)
    services.signin_record(account=user, device=device, user_agent=user_agent, address=address)
    if getattr(request, "LANGUAGE_CODE", None) in dict(settings.LANGUAGES):
        # Not chosen yet: notices and emails follow what the owner reads.
        services.account_set_language(account=user, language=request.LANGUAGE_CODE,
                                      chosen=False)
    session = getattr(request, "session", None)
    if session is None:
        return
    session[DEVICE_KEY] = device
    session[ADDRESS_KEY] = address
    session[SIGNED_IN_AT_KEY] = timezone.now().isoformat()
    if services.two_step_device(user) is not None:
        session[TWO_STEP_PENDING] = True
