"""Admin for service clients, webhook endpoints and the delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .events import CATALOGUE
from .models import ServiceClient, WebhookDelivery, WebhookEndpoint


class ServiceClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ServiceClient.Scope.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )

    class Meta:
        model = ServiceClient
        fields = ["name", "scopes"]


@admin.register(ServiceClient)
class ServiceClientAdmin(admin.ModelAdmin):
    form = ServiceClientForm
    list_display = ["name", "key_prefix", "scope_list", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["created_by"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ServiceClient) -> str:
        return ", ".join(obj.scopes)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the key prefix stays reserved and auditable

    def save_model(self, request: HttpRequest, obj: ServiceClient, form, change: bool) -> None:
        if change:
            services.service_client_update(
                client=obj, name=obj.name, scopes=form.cleaned_data["scopes"],
                acting_user=request.user,
            )
            return
        client, key = services.service_client_create(
            name=obj.name, scopes=form.cleaned_data["scopes"], acting_user=request.user
        )
        obj.pk, obj.key_prefix, obj.key_hash = client.pk, client.key_prefix, client.key_hash
        obj.created_at, obj.created_by = client.created_at, client.created_by
        self.message_user(
            request,
            _("API key for “%(name)s” (copy it now; it is stored hashed and will not be shown "
              "again): %(key)s") % {"name": client.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceClient]) -> None:
        done = sum(
            services.service_client_revoke(client=c, acting_user=request.user) for c in queryset
        )
        self.message_user(
            request, ngettext("%(n)d key revoked.", "%(n)d keys revoked.", done) % {"n": done}
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=[(t.name, f"{t.name}: {t.description}") for t in CATALOGUE],
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("None chosen: every event type, including ones added later."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_types", "legacy_signature", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "subscribed", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_for_receiver", "previous_secret_expires_at"]
    actions = ["rotate_secret"]

    @admin.display(description=_("receives"))
    def subscribed(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) or str(_("every event type"))

    @admin.display(description=_("signing secret"))
    def secret_for_receiver(self, obj: WebhookEndpoint) -> str:
        # Shown so the receiver can be configured; only staff with this page see it.
        return obj.secret

    @admin.action(description=_("Rotate the signing secret (the old one stays valid for a while)"),
                  permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = services.webhook_endpoint_rotate_secret(
                endpoint=endpoint, acting_user=request.user
            )
            self.message_user(request, _(
                "%(name)s: new secret %(secret)s. Give it to the receiver; the old one keeps "
                "signing until %(until)s."
            ) % {"name": endpoint.name, "secret": secret,
                 "until": WebhookEndpoint.objects.get(pk=endpoint.pk).previous_secret_expires_at},
                messages.WARNING)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "event_id", "event_type", "endpoint", "attempt", "manual", "state", "status_code",
        "duration_ms", "created_at", "next_retry_at", "delivered_at",
    ]
    list_filter = ["state", "event_type", "manual", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["=event__id", "endpoint__name"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("api.add_webhookdelivery")

    @admin.action(description=_("Re-send the selected deliveries"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = 0
        for delivery in queryset:
            try:
                services.webhook_resend(delivery=delivery, acting_user=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{delivery}: {' '.join(error.messages)}",
                                  messages.ERROR)
        if done:
            self.message_user(request, ngettext(
                "%(n)d delivery queued again.", "%(n)d deliveries queued again.", done
            ) % {"n": done})
