"""The integration API, version 1. Reads go through the status cache; writes
go through ``accounts.services``. Every error is JSON:
``{"error": {"code": …, "message": …, "fields": {…}}}``.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.cache import StatusSnapshot, status_cache_get, status_cache_store
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import Feature

from . import serializers as s
from .auth import (
    ApiKeyAuthentication,
    HasScope,
    api_key_from,
    client_for_key,
    prefetched_status,
)
from .models import ServiceClient
from .parsers import StrictJSONParser
from .throttling import ClientRateThrottle, client_wait

logger = logging.getLogger(__name__)
Scope = ServiceClient.Scope
MAX_BIGINT = 2**63 - 1
FEATURES = frozenset(Feature.values)
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
EVENT_PAGE_DEFAULT = 50
EVENT_PAGE_MAX = 200
# Service refusals that are not plain 400s: "not allowed to" is a 403; a
# reused Idempotency-Key with another body is well-formed but cannot be
# processed (as Stripe and the IETF Idempotency-Key draft answer it).
SERVICE_ERROR_STATUS = {"needs_supervisor": 403, "request_key_reused": 422}


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
class ApiError(exceptions.APIException):
    """A 400 with our own code (or another status via ``status_code``)."""

    def __init__(self, message: str, *, code: str, status_code: int = 400):
        super().__init__(message, code=code)
        self.status_code = status_code


def _error(code: str, message: str, fields=None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _payload_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The body is larger than %(limit)s bytes; no request of this API needs that much.")
        % {"limit": settings.PORTAL_API_MAX_BODY_BYTES}
    )


def exception_handler(exc, context):
    """Render every error as JSON, including ones DRF leaves to Django."""
    if isinstance(exc, RequestDataTooBig):  # Django's own cap, should a body pass ours
        exc = _payload_too_large()
    elif isinstance(exc, SuspiciousOperation | BadRequest):
        exc = ApiError(_("The request is malformed."), code="bad_request")
    if isinstance(exc, DjangoValidationError):
        code = getattr(exc, "code", None) or "invalid"
        return Response(_error(code, " ".join(exc.messages)),
                        status=SERVICE_ERROR_STATUS.get(code, 400))
    if isinstance(exc, Http404):
        return Response(_error("not_found", _("Not found.")), status=404)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(
            _error("invalid", _("The request is not valid."), fields=fields), status=400
        )
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response = Response(_error(code, str(exc.detail)), status=exc.status_code)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response["WWW-Authenticate"] = ApiKeyAuthentication().authenticate_header(None)
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(_error("server_error", _("Internal error.")), status=500)


@csrf_exempt  # else an unknown POST URL gets the CSRF middleware's HTML 403
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Answer unknown URLs under /api/ with a JSON 404 instead of an HTML page."""
    return JsonResponse(_error("not_found", _("Not found.")), status=404)


ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid request (see error.code)"),
    401: OpenApiResponse(s.ErrorSerializer, description="Missing or invalid API key"),
    403: OpenApiResponse(s.ErrorSerializer, description="The key lacks the scope"),
    404: OpenApiResponse(s.ErrorSerializer, description="Unknown account or hold"),
    413: OpenApiResponse(s.ErrorSerializer, description="The body is too large"),
    415: OpenApiResponse(s.ErrorSerializer, description="The body is not JSON"),
    422: OpenApiResponse(s.ErrorSerializer,
                         description="Idempotency-Key already used for another request"),
    429: OpenApiResponse(s.ErrorSerializer,
                         description="Over the key's rate limit; see the Retry-After header"),
}
WRITE_ERRORS = (413, 415)


def _errors(*codes: int) -> dict:
    """The documented errors of an endpoint: ``codes``, and the rate limit's 429."""
    return {code: ERRORS[code] for code in (*codes, 429)}


class JsonOnly(DefaultContentNegotiation):
    """Answer JSON whatever the Accept header says (the API has one format)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ClientRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [StrictJSONParser]
    content_negotiation_class = JsonOnly
    required_scope: str = Scope.STATUS_READ

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Refused before a byte of the body is read (DRF reads it whole).
        if _declared_length(request) > settings.PORTAL_API_MAX_BODY_BYTES:
            raise _payload_too_large()


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django and DRF then read no body either


# ---------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------
def _account_or_404(platform_account_id: str, *fields: str) -> Account:
    if len(platform_account_id) > 64 or "\x00" in platform_account_id:
        raise ApiError(_("No account with this id."), code="account_not_found", status_code=404)
    account = Account.objects.filter(platform_account_id=platform_account_id).only(
        "pk", "platform_account_id", *fields
    ).first()
    if account is None:
        raise ApiError(_("No account with this id."), code="account_not_found", status_code=404)
    return account


def _snapshot(request, platform_account_id: str) -> StatusSnapshot:
    """Return the account's status from Redis; on a miss, from its row (and cache it)."""
    snapshot = prefetched_status(request, platform_account_id) or status_cache_get(
        platform_account_id
    )
    if snapshot is None:
        account = _account_or_404(
            platform_account_id, "status", "blocked_features", "status_version", "blocking_holds"
        )
        snapshot = StatusSnapshot.of(account)
        status_cache_store(snapshot)
    return snapshot


ACCOUNT_ID = OpenApiParameter(
    "platform_account_id", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="The host platform's own account id.",
)


class AccountStatusView(ApiView):
    @extend_schema(
        operation_id="account_status", parameters=[ACCOUNT_ID],
        responses={200: s.AccountStatusSerializer, **_errors(401, 403, 404)},
        summary="An account's status, blocked features and active holds",
    )
    def get(self, request, platform_account_id: str) -> Response:
        snapshot = _snapshot(request, platform_account_id)
        account_id = snapshot.account_id or _account_or_404(platform_account_id).pk
        holds = Hold.objects.active().filter(account_id=account_id).order_by("placed_at", "pk")
        return Response({
            "platform_account_id": snapshot.platform_account_id,
            "status": snapshot.status,
            "blocked_features": snapshot.blocked_features,
            "version": snapshot.version,
            "holds": s.HoldSerializer(holds, many=True).data,
        })


class MayView(ApiView):
    """The hot path: one Redis round trip (key, status and the client's rate
    count), no serializer, and in the answer no DRF request handling either
    (see ``dispatch``)."""

    def dispatch(self, request, *args, **kwargs):
        # DRF's request wrapping costs as much as the answer itself. The common
        # case (a valid key with the scope, within its rate, a known account) is
        # answered here by the same functions DRF would call; anything else (a
        # missing or bad key, a missing scope, over the rate, an unknown feature
        # or account, another method) goes through DRF below, which checks again
        # and renders the error.
        if request.method == "GET":
            response = self._answer_from_cache(request, **kwargs)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def _answer_from_cache(self, request, platform_account_id: str, feature: str):
        if feature not in FEATURES:
            return None
        try:
            key = api_key_from(request.META)
            client = key and client_for_key(key, request, platform_account_id)
            if not client or not client.has_scope(self.required_scope):
                return None
            if client_wait(request, client.key_hash) is not None:
                return None  # over its rate: DRF's throttle answers the 429
            snapshot = _snapshot(request, platform_account_id)
        except exceptions.APIException:
            return None  # DRF decides again and renders the JSON error
        # The renderer DRF would use, so both paths answer the same bytes.
        renderer = self.renderer_classes[0]()
        response = HttpResponse(
            renderer.render(_may_answer(snapshot, feature)), content_type=renderer.media_type
        )
        for header, value in self.default_response_headers.items():
            response[header] = value  # as DRF's finalize_response adds them
        return response

    @extend_schema(
        operation_id="account_may",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("feature", OpenApiTypes.STR, OpenApiParameter.PATH,
                             enum=sorted(FEATURES)),
        ],
        responses={200: s.MaySerializer, **_errors(400, 401, 403, 404)},
        summary="May the account use this feature right now?",
    )
    def get(self, request, platform_account_id: str, feature: str) -> Response:
        if feature not in FEATURES:
            raise ApiError(_("Unknown feature."), code="unknown_feature")
        return Response(_may_answer(_snapshot(request, platform_account_id), feature))


def _may_answer(snapshot: StatusSnapshot, feature: str) -> dict:
    return {
        "platform_account_id": snapshot.platform_account_id,
        "feature": feature,
        "allowed": feature not in snapshot.blocked_features,
        "status": snapshot.status,
        "version": snapshot.version,
        # Why not, and where the app's "去处理" button goes: from the snapshot alone.
        "blocked_by": [
            {"hold_id": hold["id"], "reason": hold["reason"], "level": hold["level"],
             "deadline": hold["deadline"], "portal_url": s.hold_portal_url(hold["id"])}
            for hold in snapshot.holds_blocking(feature)
        ],
    }


class AccountEventsView(ApiView):
    @extend_schema(
        operation_id="account_events",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter(
                "after", {"type": "string", "pattern": "^[0-9]{1,18}$"},
                description="Cursor: the next_cursor of the previous page (an event id).",
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": EVENT_PAGE_MAX},
                description="Events per page, default 50.",
            ),
        ],
        responses={200: s.EventPageSerializer, **_errors(400, 401, 403, 404)},
        summary="The account's events after a cursor, oldest first",
    )
    def get(self, request, platform_account_id: str) -> Response:
        after = _int_param(request, "after", default=0, low=0, high=MAX_BIGINT,
                           code="invalid_cursor")
        limit = _int_param(request, "limit", default=EVENT_PAGE_DEFAULT, low=1,
                           high=EVENT_PAGE_MAX, code="invalid_limit")
        account = _account_or_404(platform_account_id)
        events = list(
            StatusEvent.objects.filter(account=account, pk__gt=after)
            .exclude(kind__in=StatusEvent.STAFF_ONLY_KINDS)
            .select_related("hold")  # the hold events' data
            .order_by("pk")[: limit + 1]
        )
        page, has_more = events[:limit], len(events) > limit
        return Response({
            "results": s.EventSerializer(page, many=True).data,
            "next_cursor": str(page[-1].pk) if page else (str(after) if after else None),
            "has_more": has_more,
        })


def _int_param(request, name: str, *, default: int, low: int, high: int, code: str) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isascii() or not raw.isdigit() or not (low <= int(raw) <= high):
        raise ApiError(
            _("“%(name)s” must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
            code=code,
        )
    return int(raw)


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------
class AccountHoldsView(ApiView):
    required_scope = Scope.HOLDS_WRITE

    @extend_schema(
        operation_id="hold_place",
        description="An unknown platform account id creates the account too, in the same "
        "transaction as the hold.",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter(
                "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                description="1–100 printable ASCII characters. Retrying with the same key "
                "and the same body returns the hold the first request placed (200) instead "
                "of a new one (201); the same key with another body (or for another account) "
                "is refused with 422.",
            ),
        ],
        request=s.HoldPlaceSerializer,
        responses={201: s.HoldSerializer, 200: s.HoldSerializer,
                   **_errors(400, 401, 403, *WRITE_ERRORS, 422)},
        summary="Place a hold (creating the account if it is new)",
    )
    def post(self, request, platform_account_id: str) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise ApiError(
                _("The Idempotency-Key must be 1–100 printable ASCII characters."),
                code="invalid_idempotency_key",
            )
        data = _valid(s.HoldPlaceSerializer, request)
        now = timezone.now()
        hold = account_services.hold_place_on_platform_account(
            platform_account_id=platform_account_id,
            acting_client_id=request.auth.pk,
            request_key=f"{request.auth.pk}:{key}" if key else None,
            now=now,
            **{k: data[k] for k in data if k in s.HOLD_PLACE_FIELDS},
        )
        replayed = hold.placed_at != now
        response = Response(
            s.HoldSerializer(hold).data, status=status.HTTP_200_OK if replayed else 201
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class HoldLiftView(ApiView):
    required_scope = Scope.HOLDS_WRITE

    @extend_schema(
        operation_id="hold_lift",
        request=s.HoldLiftSerializer,
        responses={200: s.HoldSerializer, **_errors(400, 401, 403, 404, *WRITE_ERRORS)},
        summary="Lift a hold",
    )
    def post(self, request, hold_id: int) -> Response:
        data = _valid(s.HoldLiftSerializer, request)
        hold = Hold.objects.filter(pk=hold_id).first() if hold_id <= MAX_BIGINT else None
        if hold is None:
            raise ApiError(_("No hold with this id."), code="hold_not_found", status_code=404)
        hold = account_services.hold_lift(
            hold=hold, acting_user=None, lift_reason=data["lift_reason"], note=data["note"],
            api_client=request.auth,
        )
        return Response(s.HoldSerializer(hold).data)


def _valid(serializer_class, request) -> dict:
    if not isinstance(request.data, dict):
        raise ApiError(_("The body must be a JSON object."), code="invalid")
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
