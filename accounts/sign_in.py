"""Authentication backends of the two ways in from the platform.

Neither checks a password, and neither lets the account's status stand in
the way: a frozen or banned owner comes here to learn why. Only a closed
account (``is_active`` off) and staff accounts are refused: a platform must
never be able to open a staff session.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation, ValidationError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import services
from .models import Account

logger = logging.getLogger(__name__)


class SignInLinkBackend(ModelBackend):
    """The session backend of hand-off sign-ins.

    The hand-off view signs the link's account in by name
    (``login(request, account, backend=...)``); this backend only restores
    that session on later requests (``get_user``, which refuses closed
    accounts), and never authenticates credentials itself.
    """

    def authenticate(self, request, **credentials):
        return None


class PlatformOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching accounts by the platform's id.

    The library checks the ID token's signature and nonce (and the view the
    state, PKCE goes to the token endpoint); this adds the issuer and the
    audience, requires the userinfo ``sub`` to be the ID token's, and maps
    ``PORTAL_OIDC_ACCOUNT_ID_CLAIM`` to ``platform_account_id``.
    """

    def authenticate(self, request, **kwargs):
        if not settings.PORTAL_OIDC_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # refuses closed accounts

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("OIDC ID token is for another audience.")
        issuer = settings.PORTAL_OIDC_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("OIDC ID token comes from another issuer.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        claims = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("OIDC userinfo is about another subject.")
        name = settings.PORTAL_OIDC_ACCOUNT_ID_CLAIM
        if name in payload:  # the signed token's value wins
            claims[name] = payload[name]
        return claims

    def _platform_id(self, claims) -> str | None:
        value = claims.get(settings.PORTAL_OIDC_ACCOUNT_ID_CLAIM)
        return value if isinstance(value, str) else None

    def describe_user_by_claims(self, claims) -> str:
        return f"platform account {self._platform_id(claims)!r}"

    def verify_claims(self, claims) -> bool:
        platform_id = self._platform_id(claims)
        if platform_id is None:
            return False
        try:
            services.platform_account_id_validate(platform_id)
        except ValidationError:
            return False
        return True

    def filter_users_by_claims(self, claims):
        return Account.objects.filter(platform_account_id=self._platform_id(claims))

    def update_user(self, user, claims):
        try:
            services.sign_in_eligibility_check(user)
        except ValidationError as error:
            raise SuspiciousOperation(f"OIDC sign-in refused: {error.code}") from None
        return user

    def create_user(self, claims):
        """Create the account on its first sign-in, only if the portal allows it."""
        if not settings.PORTAL_OIDC_CREATE_ACCOUNTS:
            logger.info("OIDC sign-in of unknown %s refused: accounts are not created "
                        "on sign-in", self.describe_user_by_claims(claims))
            return None
        provisioned = services.account_provision(
            platform_account_id=self._platform_id(claims), profile=_profile_from(claims),
            acting_client_id=None, via="oidc",
        )
        return self.update_user(provisioned.account, claims)


def _profile_from(claims: dict) -> dict[str, str]:
    """Return the profile fields the claims give that pass the portal's checks."""
    offered = {
        "display_name": claims.get("name"),
        "email": claims.get("email") if claims.get("email_verified", True) else None,
        "language": {"zh-CN": "zh-hans", "zh": "zh-hans", "en": "en"}.get(
            str(claims.get("locale", ""))
        ),
    }
    profile = {}
    for name, value in offered.items():
        if value is None:
            continue
        try:
            profile.update(services.profile_validate({name: value}))
        except ValidationError:
            logger.info("OIDC claim for %s ignored: it does not pass the profile checks", name)
    return profile
