"""Service clients (API keys) and webhook endpoints with their delivery log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import StatusEvent
from accounts.permissions import LIFT_PROTECTED_SCOPE

from . import signing


class ServiceClient(models.Model):
    """A system of the host platform calling the API with one key."""

    class Scope(models.TextChoices):
        STATUS_READ = "status:read", _("Read status and events")
        HOLDS_WRITE = "holds:write", _("Place and lift holds")
        HOLDS_LIFT_PROTECTED = LIFT_PROTECTED_SCOPE, _(
            "Also lift bans and legal holds (otherwise for supervisors only)"
        )
        ACCOUNTS_WRITE = "accounts:write", _("Create and update accounts")
        SESSIONS_CREATE = "sessions:create", _("Issue sign-in links for owners")

    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", editable=False, verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service client")
        verbose_name_plural = _("service clients")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix})"

    def key_issue(self, known: str | None = None) -> str:
        """Give this (unsaved or rotated) client a new key; return it in full, once.

        ``known``: use this well-formed key instead of a random one (demo data).
        """
        if known is not None:
            prefix = signing.key_prefix(known)
            if prefix is None:
                raise ValueError("not a well-formed API key")
            self.key_prefix, self.key_hash = prefix, signing.key_digest(known)
            return known
        full, self.key_prefix, self.key_hash = signing.key_generate()
        return full


def _event_type_choices():
    from .events import CATALOGUE

    return [(t.name, t.name) for t in CATALOGUE]


class WebhookEndpoint(models.Model):
    """A URL of the host platform that receives signed events (Standard Webhooks)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"), max_length=100, default=signing.secret_generate,
        help_text=_("Shared with the receiver, which verifies webhook-signature with it."),
    )
    # During a rotation the old secret signs too, until it expires.
    previous_secret = models.CharField(
        _("previous signing secret"), max_length=100, blank=True, editable=False
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    event_types = models.JSONField(
        _("event types"), default=list, blank=True,
        help_text=_("The event types this endpoint receives; none chosen means all."),
    )
    legacy_signature = models.BooleanField(
        _("also send X-Portal-Signature"), default=False,
        help_text=_("The v1 signature header of receivers built before Standard Webhooks."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now) -> list[str]:
        """The secrets that sign now: the current one, and the previous during a rotation."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and (
            self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to one endpoint. Every attempt is kept."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.ForeignKey(
        StatusEvent, on_delete=models.PROTECT, related_name="+", verbose_name=_("event")
    )
    event_type = models.CharField(_("event type"), max_length=40, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    manual = models.BooleanField(_("manual re-send"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    # The exact bytes sent (and re-sent): receivers may compare event ids.
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    next_retry_at = models.DateTimeField(_("due at"), default=timezone.now)
    attempted_at = models.DateTimeField(_("attempted at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint", "attempt"], name="delivery_attempt_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_retry_at"], name="delivery_pending_idx",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint} #{self.attempt}"
