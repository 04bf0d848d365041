"""Request validation and the documented response shapes of the API."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import REASON_CHOICES, Feature, Level
from accounts.rules import RULE_CHOICES, DecisionMode
from accounts.statement import ways_to_contest

_HOLD_URLS: dict[str, str] = {}  # SITE_URL → "https://…/holds/{}/"


def hold_portal_url(hold_id: int) -> str:
    """Return the absolute portal URL of a hold: the app's "去处理" button opens it.

    On the "may" hot path: ``reverse`` runs once per site URL (it costs about
    as much as the rest of the answer), then the id is formatted in.
    """
    site = settings.SITE_URL
    if (template := _HOLD_URLS.get(site)) is None:
        path = reverse("accounts:hold", args=[0]).replace("/0/", "/{}/")
        template = _HOLD_URLS[site] = site.rstrip("/") + path
    return template.format(int(hold_id))


class HoldPlaceSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=REASON_CHOICES)
    features = serializers.ListField(
        child=serializers.ChoiceField(choices=Feature.choices), required=False,
        allow_empty=False, min_length=1, max_length=len(Feature.values) * 2,
        help_text=_("Defaults to the reason's features."),
    )
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text=_("Defaults to the reason's level.")
    )
    deadline = serializers.DateTimeField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    public_message = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    internal_note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default=""
    )
    # The statement of reasons (optional): checked by the service, whose
    # refusal is a 400 with a specific code (facts_not_object, facts_too_large, …).
    rule = serializers.ChoiceField(
        choices=RULE_CHOICES, required=False, allow_blank=True,
        help_text=_("The rule applied; defaults to the reason's rule."),
    )
    facts = serializers.JSONField(
        required=False, allow_null=True,
        help_text=_("What triggered the hold, shown to the owner as given: an object of up to "
                    "12 short texts, e.g. {\"region\": \"Guangdong\", \"time\": "
                    "\"2026-03-01T02:14+08:00\"}."),
    )
    decision_mode = serializers.ChoiceField(
        choices=DecisionMode.choices, required=False,
        help_text=_("Whether a person or an automated system decided; defaults to automated."),
    )


# The fields of HoldPlaceSerializer that hold_place takes as they are.
HOLD_PLACE_FIELDS = frozenset({
    "reason", "features", "level", "deadline", "expires_at", "public_message", "internal_note",
    "rule", "facts", "decision_mode",
})


class WaySerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["appeal", "verify", "support", "redress"])
    label = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class HoldLiftSerializer(serializers.Serializer):
    lift_reason = serializers.ChoiceField(
        choices=[(reason, reason.label) for reason in Hold.MANUAL_LIFT_REASONS]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class HoldSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")
    portal_url = serializers.SerializerMethodField(
        help_text=_("The hold's page in the portal, for the app's button (absolute URL).")
    )
    lift_reason = serializers.ChoiceField(
        choices=Hold.LiftReason.choices, allow_blank=True, help_text=_("Empty while active.")
    )
    features = serializers.ListField(source="blocked_features", child=serializers.CharField())
    rule_title = serializers.CharField(help_text=_("The rule's title, in the request's language."))
    facts = serializers.DictField(child=serializers.CharField())
    ways_to_contest = serializers.SerializerMethodField()

    class Meta:
        model = Hold
        fields = [
            "id", "reason", "level", "features", "source", "placed_at", "deadline",
            "expires_at", "escalated_at", "public_message", "active", "lifted_at",
            "lift_reason", "portal_url", "rule", "rule_title", "facts", "decision_mode",
            "ways_to_contest",
        ]
        read_only_fields = fields

    def get_portal_url(self, hold: Hold) -> str:
        return hold_portal_url(hold.pk)

    @extend_schema_field(WaySerializer(many=True))
    def get_ways_to_contest(self, hold: Hold) -> list[dict]:
        return [{"code": way.code, "label": way.label,
                 "url": f"{settings.SITE_URL}{way.url}" if way.url else None}
                for way in ways_to_contest(hold)]


class AccountStatusSerializer(serializers.Serializer):
    platform_account_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", *Level.values])
    blocked_features = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()
    holds = HoldSerializer(many=True)


class BlockingHoldSerializer(serializers.Serializer):
    hold_id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=REASON_CHOICES)
    level = serializers.ChoiceField(choices=Level.choices)
    deadline = serializers.DateTimeField(
        allow_null=True, help_text=_("Act by then or the hold escalates; null if none.")
    )
    portal_url = serializers.URLField(
        help_text=_("The hold's page in the portal, for the app's button.")
    )


class MaySerializer(serializers.Serializer):
    platform_account_id = serializers.CharField()
    feature = serializers.CharField()
    allowed = serializers.BooleanField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    blocked_by = BlockingHoldSerializer(
        many=True, help_text=_("The holds that block this feature, most severe first.")
    )


# ---------------------------------------------------------------------------
# Accounts and sign-in links (the platform integration)
# ---------------------------------------------------------------------------
class AccountProfileSerializer(serializers.Serializer):
    """The body of PUT /accounts/{id}: every field optional; omitted fields keep their value.

    The portal's rules (masked phone, language codes) are checked by
    ``accounts.services.profile_validate``; this documents the shape.
    """

    display_name = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False,
        help_text=_("Shown to the owner; at most 100 characters."),
    )
    language = serializers.CharField(
        required=False, help_text=_("The owner's language: zh-hans or en.")
    )
    email = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Where notices are emailed.")
    )
    phone_hint = serializers.CharField(
        required=False, allow_blank=True,
        help_text=_("Masked, for display only, e.g. 138****5678. Never the full number."),
    )

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class AccountSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="status_version")
    portal_url = serializers.SerializerMethodField(help_text=_("The owner's status page."))

    class Meta:
        model = Account
        fields = [
            "platform_account_id", "display_name", "language", "email", "phone_hint",
            "status", "blocked_features", "version", "portal_url",
        ]
        read_only_fields = fields

    def get_portal_url(self, account: Account) -> str:
        return settings.SITE_URL.rstrip("/") + reverse("accounts:status")


class SignInLinkRequestSerializer(serializers.Serializer):
    next = serializers.CharField(
        required=False, allow_blank=True, max_length=200, trim_whitespace=False,
        help_text=_("A portal path to land on: / (default), /holds/<id>/, /verification/ "
                    "or /appeals/<id>/ of this account."),
    )


class SignInLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text=_("Send the owner's browser here; it works once."))
    expires_at = serializers.DateTimeField()


class EventSerializer(serializers.ModelSerializer):
    id = serializers.CharField(help_text=_("Also the cursor: pass it as ?after= to continue."))
    hold_id = serializers.IntegerField(allow_null=True)
    data = serializers.SerializerMethodField(
        help_text=_("For the kinds a webhook reports, the data of that webhook (docs/api.md); "
                    "empty for the others."))

    class Meta:
        model = StatusEvent
        fields = ["id", "kind", "at", "hold_id", "data"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_data(self, event: StatusEvent) -> dict:
        # What an event stores is internal (staff notes, other accounts' ids):
        # the platform reads only what the webhook catalogue says.
        from .events import BY_KIND

        event_type = BY_KIND.get(event.kind)
        return event_type.data(event) if event_type else {}


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text=_("Pass as ?after= to read on; null when nothing was read.")
    )
    has_more = serializers.BooleanField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
