"""Appeals against holds: the case, its kept thread, and the evidence files.

Only ``appeals.services`` changes an appeal's state or writes messages.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Hold
from accounts.reasons import REASON_CHOICES

STATEMENT_MAX_LENGTH = 5000
MESSAGE_MAX_LENGTH = 5000


def private_storage():
    """Return the private storage: no URL pattern serves it."""
    return storages["private"]


def evidence_path(instance: Attachment, filename: str) -> str:
    """Store under a random name; the user's file name is kept in a field only."""
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"appeals/{instance.appeal_id}/{uuid.uuid4().hex}.{ext}"


class Appeal(models.Model):
    """One case in the staff queue: an appeal against a hold, a conversation
    with support, or a review of a hold whose remedies the owner completed.

    All three share the thread, the queue, claims, the SLA, escalation and the
    state table; a support conversation contests nothing, so it is never
    accepted or rejected (``decides``) and may be about no hold at all.
    """

    class Kind(models.TextChoices):
        APPEAL = "appeal", _("Appeal")
        SUPPORT = "support", _("Support conversation")
        REMEDIES = "remedies", _("Remedies completed: lift?")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_USER = "awaiting_user", _("Waiting for the user")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    class Category(models.TextChoices):
        WRONG_DECISION = "wrong_decision", _("The decision is wrong")
        NOT_ME = "not_me", _("It was not me: my account was used by someone else")
        IDENTITY_CLAIM = "identity_claim", _("The identity is mine (identity claim)")
        OTHER = "other", _("Something else")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Decision(models.TextChoices):
        NONE = "", _("None yet")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (State.SUBMITTED, State.IN_REVIEW, State.AWAITING_USER)

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.APPEAL)
    hold = models.ForeignKey(
        Hold, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("hold"),
        null=True, blank=True,
    )
    # Copied from the hold so queue filters and the expected-wait median are one index.
    reason = models.CharField(_("reason"), max_length=32, choices=REASON_CHOICES, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices,
                                blank=True)
    statement = models.TextField(_("statement"), max_length=STATEMENT_MAX_LENGTH)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SUBMITTED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now, editable=False)
    sla_due_at = models.DateTimeField(_("answer due by"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="assigned_appeals", verbose_name=_("assignee"),
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    awaiting_since = models.DateTimeField(_("waiting for the user since"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True, default=""
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decision_message = models.TextField(_("decision message"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["sla_due_at", "pk"]
        permissions = [
            ("view_evidence", "Can open appeal evidence files"),
            ("supervise_appeal", "Can take escalated appeals and reassign (supervisor)"),
        ]
        constraints = [
            # One open case deciding a hold (an appeal, or a remedies review).
            models.UniqueConstraint(
                fields=["hold"],
                condition=models.Q(state__in=["submitted", "in_review", "awaiting_user"])
                & ~models.Q(kind="support"),
                name="appeal_one_open_per_hold",
            ),
            # One open conversation per topic: a hold, or none (the help page).
            models.UniqueConstraint(
                fields=["account", "hold"],
                condition=models.Q(state__in=["submitted", "in_review", "awaiting_user"],
                                   kind="support"),
                nulls_distinct=False,
                name="support_one_open_per_topic",
            ),
            models.CheckConstraint(
                name="appeal_kind_has_hold",
                condition=models.Q(kind="support") | models.Q(hold__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "sla_due_at"], name="appeal_queue_idx"),
            models.Index(fields=["reason", "decided_at"], name="appeal_decided_idx"),
            models.Index(fields=["account", "-created_at"], name="appeal_account_idx"),
            # The queue's order (admin ``ordering``): the open cases alone, and all.
            models.Index(fields=["sla_due_at", "-priority", "id"],
                         condition=models.Q(state__in=["submitted", "in_review",
                                                       "awaiting_user"]),
                         name="appeal_queue_open_idx"),
            models.Index(fields=["sla_due_at", "-priority", "id"], name="appeal_queue_all_idx"),
            # "Unassigned" and "mine": an assignee stays on a case once decided, so the
            # open cases alone, or the filters would walk every assigned case ever.
            models.Index(fields=["sla_due_at", "-priority", "id"],
                         condition=models.Q(state__in=["submitted", "in_review",
                                                       "awaiting_user"], assignee__isnull=True),
                         name="appeal_queue_unassigned_idx"),
            models.Index(fields=["assignee", "sla_due_at"],
                         condition=models.Q(state__in=["submitted", "in_review",
                                                       "awaiting_user"]),
                         name="appeal_queue_assignee_idx"),
            # The dashboard: decisions (appeals) and closings (conversations) per day.
            models.Index(fields=["decided_at"], condition=models.Q(decided_at__isnull=False),
                         name="appeal_decided_at_idx"),
            models.Index(fields=["closed_at"], condition=models.Q(closed_at__isnull=False),
                         name="appeal_closed_at_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SUPPORT:
            return _("Support conversation #%(pk)s") % {"pk": self.pk}
        if self.kind == self.Kind.REMEDIES:
            return _("Remedies review #%(pk)s") % {"pk": self.pk}
        return _("Appeal #%(pk)s") % {"pk": self.pk}

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def decides(self) -> bool:
        """Whether the case ends in a decision on its hold (a conversation does not)."""
        return self.kind != self.Kind.SUPPORT

    @property
    def answer_by(self):
        """When the owner must answer a question, or the case closes (None unless asked)."""
        if self.state != self.State.AWAITING_USER or self.awaiting_since is None:
            return None
        return self.awaiting_since + settings.PORTAL_APPEAL_CLOSE_AFTER

    def sla_breached(self, now=None) -> bool:
        return self.is_open and self.sla_due_at < (now or timezone.now())

    @classmethod
    def sla_breached_q(cls, now) -> models.Q:
        """The same rule as ``sla_breached``, for a queryset."""
        return models.Q(state__in=cls.OPEN_STATES, sla_due_at__lt=now)


class Message(models.Model):
    """One entry of an appeal's thread. Kept forever; internal notes are staff-only."""

    class Author(models.TextChoices):
        USER = "user", _("User")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_role = models.CharField(max_length=8, choices=Author.choices)
    internal = models.BooleanField(_("internal note"), default=False)
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("appeal message")
        verbose_name_plural = _("appeal messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["appeal", "created_at"], name="appeal_message_idx")]
        constraints = [
            models.CheckConstraint(
                name="appeal_note_is_staff",
                condition=models.Q(internal=False) | models.Q(author_role="staff"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_role_display()} @ {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """An evidence file, already validated and re-encoded, in private storage."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=evidence_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Macro(models.Model):
    """A reviewed canned reply staff pick on the case page and edit before sending.

    One text per language: the page inserts the one the case's owner reads.
    Only supervisors write them, and only a reviewed macro (``approved_by``) is
    offered; changing a text takes the review away (``appeals.services.macros``).
    """

    class Kind(models.TextChoices):
        APPEAL = "appeal", _("Appeals")
        SUPPORT = "support", _("Support conversations")

    kind = models.CharField(_("used for"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    body_zh_hans = models.TextField(_("text in Chinese"), max_length=MESSAGE_MAX_LENGTH)
    body_en = models.TextField(_("text in English"), max_length=MESSAGE_MAX_LENGTH)
    active = models.BooleanField(_("offered on case pages"), default=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"), editable=False,
    )
    approved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_reviewed(self) -> bool:
        return self.approved_by_id is not None

    def body_for(self, language: str) -> str:
        """The text in ``language`` (the owner's), English for any other."""
        return self.body_zh_hans if language.lower().startswith("zh") else self.body_en
