"""Request validation and the documented response shapes of the API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Hold, StatusEvent
from accounts.reasons import REASON_CHOICES, Feature, Level
from accounts.rules import RULE_CHOICES, DecisionMode
from accounts.statement import ways_to_contest


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
            "lift_reason", "rule", "rule_title", "facts", "decision_mode", "ways_to_contest",
        ]
        read_only_fields = fields

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


class MaySerializer(serializers.Serializer):
    platform_account_id = serializers.CharField()
    feature = serializers.CharField()
    allowed = serializers.BooleanField()
    status = serializers.CharField()
    version = serializers.IntegerField()


class EventSerializer(serializers.ModelSerializer):
    id = serializers.CharField(help_text=_("Also the cursor: pass it as ?after= to continue."))
    hold_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = StatusEvent
        fields = ["id", "kind", "at", "hold_id", "data"]
        read_only_fields = fields


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
