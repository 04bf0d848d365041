"""The shared state model: accounts, holds, the status event log, notices.

Only ``accounts.services`` writes holds, status and events.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .reasons import CATALOG, REASON_CHOICES, Feature, Level
from .rules import RULE_CHOICES, RULES, DecisionMode


class Account(AbstractUser):
    """A portal user: an account owner of the host platform, or staff.

    ``status`` and ``blocked_features`` are derived from the active holds and
    stored here by the services, so reading an account's status is one row.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RESTRICTED = Level.RESTRICTED.value, Level.RESTRICTED.label
        FROZEN = Level.FROZEN.value, Level.FROZEN.label
        BANNED = Level.BANNED.value, Level.BANNED.label

    # Immutable once set: the status cache, webhooks and the platform's own
    # records all key on it (``save`` refuses a change, and on PostgreSQL a
    # trigger refuses it from any client).
    platform_account_id = models.CharField(
        _("platform account id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The host platform's own id for this account. It never changes once set."),
    )
    # Profile the platform provides (``PUT /api/v1/accounts/{id}``).
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # For display only, and only ever masked (``138****5678``).
    phone_hint = models.CharField(_("phone (masked)"), max_length=24, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    blocked_features = models.JSONField(_("blocked features"), default=list, editable=False)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, editable=False)
    # Bumped whenever status or blocked features change; caches keep the
    # highest version they have seen so an older write can never win.
    status_version = models.PositiveBigIntegerField(default=0, editable=False)
    # What each active hold blocks (id, reason, level, features, deadline),
    # most severe first: derived like ``status``, so the "may" answer can say
    # why and where to go from the cached snapshot alone.
    blocking_holds = models.JSONField(_("blocking holds"), default=list, editable=False)
    # The language notices and emails are written in; follows the switcher.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # When the owner chose it with the switcher: from then on it is used on
    # every device they sign in on (accounts.middleware.AccountLanguageMiddleware).
    language_chosen_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["status"])]
        permissions = [
            ("view_any_case_files", "Can open identity images and appeal evidence of any "
             "submitted case, claimed or decided (supervisor)"),
        ]

    def __str__(self) -> str:
        return self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        account = super().from_db(db, field_names, values)
        if "platform_account_id" in field_names:
            account._loaded_platform_account_id = account.platform_account_id
        return account

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded_platform_account_id", None)
        if loaded and self.platform_account_id != loaded:
            raise ValidationError(
                _("The platform account id cannot be changed once set."),
                code="platform_account_id_immutable",
            )
        super().save(*args, **kwargs)
        self._loaded_platform_account_id = self.platform_account_id

    @property
    def public_name(self) -> str:
        """The name to show the owner: the platform's display name, else the username."""
        return self.display_name or self.get_username()

    @property
    def is_limited(self) -> bool:
        return self.status != self.Status.ACTIVE

    def may(self, feature: str) -> bool:
        """Return whether the account may use ``feature`` right now."""
        return feature not in self.blocked_features


class HoldQuerySet(models.QuerySet):
    def active(self) -> HoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class Hold(models.Model):
    """One reason an account is limited. Never deleted; lifted instead."""

    class Source(models.TextChoices):
        RISK_ENGINE = "risk_engine", _("Risk engine")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")
        API = "api", _("API client")

    class LiftReason(models.TextChoices):
        VERIFICATION_APPROVED = "verification_approved", _("Verification approved")
        APPEAL_ACCEPTED = "appeal_accepted", _("Appeal accepted")
        PAID = "paid", _("Fees paid")
        STAFF = "staff", _("Lifted by staff")
        EXPIRED = "expired", _("Expired")
        REMEDIES_COMPLETED = "remedies_completed", _("Every remedy completed; staff confirmed")

    # A lift made by hand (admin, API) may only record what a person or the
    # platform did; the other reasons are written by their own flows, so the
    # audit trail can never claim one of them for a lift made by hand.
    MANUAL_LIFT_REASONS = (LiftReason.STAFF, LiftReason.PAID)

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holds"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=REASON_CHOICES)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    blocked_features = models.JSONField(_("blocked features"), default=list)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now, editable=False)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    public_message = models.TextField(_("message to the user"), blank=True, max_length=2000)
    internal_note = models.TextField(_("internal note"), blank=True, max_length=4000)
    # The statement of reasons (EU DSA Art. 17 shape): the rule applied, the
    # facts that triggered it as the platform supplied them, and who decided.
    rule = models.CharField(_("rule"), max_length=16, choices=RULE_CHOICES, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    decision_mode = models.CharField(
        _("decided by"), max_length=16, choices=DecisionMode.choices,
        default=DecisionMode.AUTOMATED,
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.CharField(
        _("lift reason"), max_length=32, choices=LiftReason.choices, blank=True
    )
    lift_note = models.TextField(_("lift note"), blank=True, max_length=2000)
    # Idempotency for API clients: the same key never places two holds.
    request_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # SHA-256 of what the keyed request asked for, so a reused key with a
    # different request is refused instead of silently replayed.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = HoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        permissions = [("lift_protected_hold", "Can lift a ban or a legal hold (supervisor)")]
        ordering = ["-placed_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "lifted_at"]),
            models.Index(
                fields=["deadline"],
                name="hold_open_deadline_idx",
                condition=models.Q(lifted_at__isnull=True, escalated_at__isnull=True),
            ),
            models.Index(
                fields=["expires_at"],
                name="hold_open_expiry_idx",
                condition=models.Q(lifted_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="hold_lift_is_complete",
                condition=(
                    models.Q(lifted_at__isnull=True, lift_reason="")
                    | (models.Q(lifted_at__isnull=False) & ~models.Q(lift_reason=""))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.account})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def catalog(self):
        return CATALOG[self.reason]

    @property
    def lift_needs_supervisor(self) -> bool:
        """A ban, or a reason the catalog protects (a legal hold), takes a supervisor to lift."""
        return self.level == Level.BANNED or self.catalog.lift_needs_supervisor

    def blocked_feature_labels(self) -> list[str]:
        labels = dict(Feature.choices)
        return [labels[code] for code in self.blocked_features if code in labels]

    @property
    def rule_title(self) -> str:
        rule = RULES.get(self.rule)
        return str(rule.title) if rule else ""

    @property
    def lifts_by_itself(self) -> bool:
        """It has an expiry: nothing the owner does is needed."""
        return self.expires_at is not None


class AppendOnlyQuerySet(models.QuerySet):
    """Refuse bulk changes: the event log is append-only."""

    def update(self, **kwargs):
        raise TypeError("Status events are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Status events are append-only; they cannot be deleted.")


class StatusEvent(models.Model):
    """One thing that happened to an account: its timeline and audit trail.

    Append-only: ``save`` refuses updates, ``delete`` is refused, and on
    PostgreSQL a trigger refuses UPDATE and DELETE from any client.
    """

    class Kind(models.TextChoices):
        HOLD_PLACED = "hold_placed", _("Hold placed")
        HOLD_LIFTED = "hold_lifted", _("Hold lifted")
        HOLD_ESCALATED = "hold_escalated", _("Hold escalated")
        STATUS_CHANGED = "status_changed", _("Status changed")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        VERIFICATION_SUBMITTED = "verification_submitted", _("Verification submitted")
        VERIFICATION_AUTO_REJECTED = "verification_auto_rejected", _("Verification needs a retake")
        VERIFICATION_IN_REVIEW = "verification_in_review", _("Verification in review")
        VERIFICATION_APPROVED = "verification_approved", _("Verification approved")
        VERIFICATION_REJECTED = "verification_rejected", _("Verification rejected")
        IDENTITY_BOUND = "identity_bound", _("Identity bound")
        IDENTITY_RELEASED = "identity_released", _("Identity binding released")
        IDENTITY_TRANSFERRED = "identity_transferred", _("Identity binding transferred")
        VERIFICATION_REUPLOAD_ASKED = (
            "verification_reupload_asked", _("Staff asked for one part again"))
        VERIFICATION_CONSENTED = "verification_consented", _("You agreed to the identity check")
        ID_IMAGES_VIEWED = "id_images_viewed", _("Staff viewed identity images")
        APPEAL_FILED = "appeal_filed", _("Appeal filed")
        APPEAL_IN_REVIEW = "appeal_in_review", _("Appeal in review")
        APPEAL_AWAITING_USER = "appeal_awaiting_user", _("Staff asked for more information")
        APPEAL_USER_REPLIED = "appeal_user_replied", _("You replied to the appeal")
        APPEAL_ESCALATED = "appeal_escalated", _("Appeal escalated")
        APPEAL_REMINDED = "appeal_reminded", _("Reminder sent")
        APPEAL_ACCEPTED = "appeal_accepted", _("Appeal accepted")
        APPEAL_REJECTED = "appeal_rejected", _("Appeal rejected")
        APPEAL_CLOSED = "appeal_closed", _("Appeal closed")
        EVIDENCE_VIEWED = "evidence_viewed", _("Staff viewed appeal evidence")
        ACCOUNT_PROVISIONED = "account_provisioned", _("Account created by the platform")
        PROFILE_UPDATED = "profile_updated", _("Profile updated by the platform")
        SIGNED_IN_FROM_APP = "signed_in_from_app", _("Signed in from the app")
        SIGNED_IN_WITH_PLATFORM = "signed_in_with_platform", _("Signed in with the app account")
        ID_IMAGE_OPENED = "id_image_opened", _("Staff opened an identity image")
        EVIDENCE_OPENED = "evidence_opened", _("Staff opened an evidence file")
        # Support conversations and several-remedy reviews (appeals.Appeal.kind).
        SUPPORT_OPENED = "support_opened", _("You contacted support")
        CASE_IN_REVIEW = "case_in_review", _("Staff are looking at it")
        CASE_AWAITING_USER = "case_awaiting_user", _("Staff asked you for more information")
        CASE_USER_REPLIED = "case_user_replied", _("You answered")
        CASE_ESCALATED = "case_escalated", _("Passed to a supervisor")
        CASE_REMINDED = "case_reminded", _("Reminder sent")
        CASE_CLOSED = "case_closed", _("Conversation closed")
        REMEDIES_COMPLETED = "remedies_completed", _("Your steps are done: staff review the limit")
        REMEDIES_ACCEPTED = "remedies_accepted", _("Staff confirmed your steps")
        REMEDIES_REJECTED = "remedies_rejected", _("Staff need more before lifting the limit")
        # Deadlines, security and the owner's own actions.
        DEADLINE_REMINDED = "deadline_reminded", _("Reminder: the deadline is near")
        ACCOUNT_SECURED = "account_secured", _("You secured your account")
        SESSIONS_ENDED = "sessions_ended", _("You signed out on every other device")
        TWO_STEP_ENABLED = "two_step_enabled", _("Two-step verification turned on")
        TWO_STEP_DISABLED = "two_step_disabled", _("Two-step verification turned off")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("New recovery codes made")
        TAKEOVER_REPORTED = "takeover_reported", _("You reported a sign-in that was not you")
        SECURITY_CHECKLIST_DONE = (
            "security_checklist_done", _("You finished the security checklist"))
        DATA_EXPORTED = "data_exported", _("You downloaded your data")
        # Staff routing of a case (the audit trail only).
        CLAIM_TAKEN_OVER = "claim_taken_over", _("A supervisor took over a colleague's claim")
        VERIFICATION_ESCALATED = (
            "verification_escalated", _("Verification passed to the supervisors"))

    # Staff opening an owner's files (docs/staff-file-access.md): every opening
    # is an "opened" event, staff-only; once per staff member, case and review
    # session a "viewed" event sums them up, and this one policy says which of
    # those the owner's timeline shows.
    OWNER_SEES_STAFF_VIEWS = {
        Kind.ID_IMAGES_VIEWED: True,  # identity documents: the owner is told who looked
        Kind.EVIDENCE_VIEWED: False,  # evidence sent to be read: the audit trail only
    }
    # Kinds that are for the audit trail only, not the owner's timeline.
    STAFF_ONLY_KINDS = frozenset({
        Kind.ID_IMAGE_OPENED, Kind.EVIDENCE_OPENED,
        Kind.CLAIM_TAKEN_OVER, Kind.VERIFICATION_ESCALATED,
        *(kind for kind, shown in OWNER_SEES_STAFF_VIEWS.items() if not shown),
    })

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="status_events"
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # No ``choices`` here on purpose: kinds are validated by the service
    # (``event_record``), so adding a kind needs no migration of the log.
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=False)
    hold = models.ForeignKey(
        Hold, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["account", "-at"], name="event_account_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("Status events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Status events are append-only; they cannot be deleted.")

    def get_kind_display(self) -> str:
        return str(dict(self.Kind.choices).get(self.kind, self.kind))


class Notice(models.Model):
    """An in-portal notification (the bell). Email goes out alongside."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    # The text as written in the owner's language when it was sent (email,
    # admin); ``texts`` keeps what it was made from so it is shown in the
    # reader's language (``accounts.notice_texts``).
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    texts = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the email went out; claimed before sending so a redelivered
    # task never emails twice.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the notice is about (e.g. "hold:12:hold_placed"); a redelivered
    # task finds the notice it already made instead of making a second.
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "read_at"])]

    def __str__(self) -> str:
        return self.title

    def display_title(self) -> str:
        """The title in the active language."""
        from .notice_texts import render

        return render(self.texts.get("title"), fallback=self.title)

    def display_body(self) -> str:
        """The body in the active language (a staff message stays as written)."""
        from .notice_texts import render

        return render(self.texts.get("body"), fallback=self.body)


class OutboxMessage(models.Model):
    """One side effect a committed change still owes: a task to publish, or a call to make.

    Written by the services in the same transaction as the change it belongs
    to, so a change and its side effects commit together or not at all.
    ``accounts.outbox`` publishes it right after the commit and, when that
    fails (the broker is down, the process dies), the relay does later. Each
    message is published at least once; consumers are idempotent (claims,
    dedupe keys), so each side effect happens once.
    """

    class Kind(models.TextChoices):
        TASK = "task", _("Celery task")
        CALL = "call", _("Direct call (cache write)")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The task's registered name, or the registered outbox call's name.
    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # What the message is about, when recording it twice would repeat an
    # effect (a retried service, a sweeper): the second one is not recorded.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Not published before this (a retry's backoff).
    available_at = models.DateTimeField(default=timezone.now)
    # A publisher holds the message until then; a dead publisher's lease lapses.
    leased_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The request (X-Request-ID) that recorded it: the task carries it on, so
    # the logs of a change and of the work it caused share one id.
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["available_at"], name="outbox_pending_idx",
                condition=models.Q(published_at__isnull=True),
            ),
            models.Index(
                fields=["published_at"], name="outbox_published_idx",
                condition=models.Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name} #{self.pk}"


class SignInLink(models.Model):
    """A single-use, short-lived link that signs the owner in (the platform's hand-off).

    Only a SHA-256 digest of the random token is stored; the link in full is
    shown once, to the API client that asked for it.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sign_in_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # A portal path from the allow-list, checked when the link was issued.
    next_path = models.CharField(max_length=200, editable=False)
    issued_by = models.ForeignKey(
        "api.ServiceClient", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account} @ {self.created_at:%Y-%m-%d %H:%M}"
# The owner's sign-ins and sessions live in their own module.
from .security_models import AccountSession, SignInRecord  # noqa: E402,F401
