"""The integration API's platform endpoints: accounts and hand-off sign-in links.

Kept apart from ``views`` (reads, holds): these make accounts and open
sessions, so they have scopes of their own (``accounts:write``,
``sessions:create``), and sign-in links a rate limit of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from accounts import services as account_services
from accounts.services.provisioning import PLATFORM_ACCOUNT_ID

from . import serializers as s
from .models import ServiceClient
from .views import ACCOUNT_ID, ApiView, _account_or_404, _errors, _valid

Scope = ServiceClient.Scope
THROTTLED = OpenApiResponse(
    s.ErrorSerializer, description="Too many links asked for; retry after Retry-After seconds"
)


class AccountView(ApiView):
    required_scope = Scope.ACCOUNTS_WRITE

    @extend_schema(
        operation_id="account_put",
        parameters=[OpenApiParameter(
            "platform_account_id", {"type": "string", "pattern": PLATFORM_ACCOUNT_ID.pattern},
            OpenApiParameter.PATH, description="The host platform's own account id.",
        )],
        request=s.AccountProfileSerializer,
        responses={201: s.AccountSerializer, 200: s.AccountSerializer, **_errors(400, 401, 403)},
        summary="Create or update an account (idempotent)",
    )
    def put(self, request, platform_account_id: str) -> Response:
        profile = _valid(s.AccountProfileSerializer, request)
        try:
            provisioned = account_services.account_provision(
                platform_account_id=platform_account_id, profile=profile,
                acting_client_id=request.auth.pk,
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):  # per field: render like DRF's field errors
                raise exceptions.ValidationError(error.message_dict) from None
            raise
        return Response(
            s.AccountSerializer(provisioned.account).data,
            status=status.HTTP_201_CREATED if provisioned.created else status.HTTP_200_OK,
        )


class SignInLinkThrottle(SimpleRateThrottle):
    """Links per API client (``PORTAL_SIGN_IN_LINK_RATE``), read at each request."""

    scope = "sign_in_links"

    def get_rate(self) -> str:
        return settings.PORTAL_SIGN_IN_LINK_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.key_prefix}


class SignInLinksView(ApiView):
    required_scope = Scope.SESSIONS_CREATE
    throttle_classes = [*ApiView.throttle_classes, SignInLinkThrottle]

    @extend_schema(
        operation_id="sign_in_link_create", parameters=[ACCOUNT_ID],
        request=s.SignInLinkRequestSerializer,
        responses={201: s.SignInLinkSerializer, **_errors(400, 401, 403, 404), 429: THROTTLED},
        summary="A single-use link that signs the owner in to the portal",
    )
    def post(self, request, platform_account_id: str) -> Response:
        data = _valid(s.SignInLinkRequestSerializer, request)
        account = _account_or_404(platform_account_id, "is_active", "is_staff", "is_superuser",
                                  "language")
        issued = account_services.sign_in_link_issue(
            account=account, next_path=data.get("next"), issued_by_id=request.auth.pk
        )
        url = settings.SITE_URL.rstrip("/") + reverse("accounts:sign_in_link", args=[issued.token])
        response = Response(
            s.SignInLinkSerializer({"url": url, "expires_at": issued.link.expires_at}).data,
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"  # the link is a credential
        return response

