"""Verification requests, their images and check results, and identity bindings.

Only ``verification.services`` writes these rows. Document numbers are kept
encrypted (``number_encrypted``), shown masked (``number_masked``) and looked
up by a keyed hash (``identity_hash``); see ``verification/crypto.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import documents


class VerificationRequest(models.Model):
    """One attempt by an account owner to verify their real name."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHECKING = "checking", _("Being checked")
        AUTO_REJECTED = "auto_rejected", _("Needs a retake")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.CHECKING, State.IN_REVIEW)
    DECIDED_STATES = (State.AUTO_REJECTED, State.APPROVED, State.REJECTED)

    class Subject(models.TextChoices):
        INDIVIDUAL = "individual", _("An individual")
        ORGANIZATION = "organization", _("An organization")

    class DocumentType(models.TextChoices):
        MAINLAND_ID = documents.MAINLAND_ID, _("Mainland resident ID card")
        PASSPORT = documents.PASSPORT, _("Passport")
        HK_MACAO_PERMIT = documents.HK_MACAO_PERMIT, _("Hong Kong/Macao travel permit")
        TAIWAN_PERMIT = documents.TAIWAN_PERMIT, _("Taiwan travel permit")

    class EscalationReason(models.TextChoices):
        MANUAL = "manual", _("Escalated by a reviewer")
        OVERDUE = "overdue", _("Past its SLA")

    class Decision(models.TextChoices):
        PHOTO_UNCLEAR = "photo_unclear", _("Photo unclear")
        DETAILS_MISMATCH = "details_mismatch", _("Details do not match the document")
        FACE_MISMATCH = "face_mismatch", _("Face does not match")
        IDENTITY_BOUND = "identity_bound", _("Identity bound to another account")
        DOCUMENT_EXPIRED = "document_expired", _("Document expired")
        UNDER_AGE = "under_age", _("Under age")
        # A reviewer asked for one part (``redo_parts``) to be taken again.
        REUPLOAD = "reupload", _("One part must be taken again")
        OTHER = "other", _("Other")

    class Part(models.TextChoices):
        """What an owner can be asked to give again (wizard steps)."""

        IDENTITY = "identity", _("The document details")
        FRONT = "front", _("The photo of the front")
        BACK = "back", _("The photo of the back")
        LIVENESS = "liveness", _("The liveness check")

    # What a reviewer may ask to be taken again, one at a time.
    REUPLOAD_PARTS = (Part.FRONT, Part.BACK, Part.LIVENESS)

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verification_requests"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT, editable=False
    )
    subject = models.CharField(_("subject"), max_length=16, choices=Subject.choices, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=100, blank=True)
    licence_number = models.CharField(_("business licence code"), max_length=18, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=16, choices=DocumentType.choices, blank=True
    )
    number_encrypted = models.TextField(blank=True, editable=False)
    number_masked = models.CharField(
        _("document number"), max_length=32, blank=True, editable=False
    )
    identity_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    liveness_challenge = models.JSONField(default=dict, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    checking_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Runs of the checks so far: a submission that kills the worker every time
    # goes to a person instead of being retried for ever.
    checks_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, editable=False)
    sla_due_at = models.DateTimeField(_("due by"), null=True, blank=True, editable=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("claimed by"), editable=False,
    )
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"), editable=False,
    )
    decision_reason = models.CharField(
        _("decision reason"), max_length=32, choices=Decision.choices, blank=True, editable=False
    )
    decision_message = models.TextField(_("message to the user"), blank=True, editable=False)
    images_purged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Handed to the supervisors: by a reviewer (manual) or by the SLA sweep (overdue).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    escalation_reason = models.CharField(
        _("escalation reason"), max_length=16, choices=EscalationReason.choices, blank=True,
        editable=False,
    )
    # On a decided request: the parts (``Part``) to give again; the rest is kept.
    # On a draft started from one: the parts asked again (shown in the wizard).
    redo_parts = models.JSONField(default=list, blank=True, editable=False)
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    # The owner's consent before the ID photos and before the camera (separate steps).
    photos_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    liveness_consent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        ordering = ["sla_due_at", "pk"]
        permissions = [
            ("view_identity_images", "Can view identity document images"),
            ("supervise_verificationrequest",
             "Can take over claims and receive escalated cases (supervisor)"),
        ]
        indexes = [
            models.Index(fields=["state", "sla_due_at"]),
            models.Index(fields=["account", "-created_at"]),
            # The queue's order (admin ``ordering``): the open cases alone, and all.
            models.Index(fields=["sla_due_at", "submitted_at", "id"],
                         condition=models.Q(state="in_review"), name="vr_queue_open_idx"),
            models.Index(fields=["sla_due_at", "submitted_at", "id"], name="vr_queue_all_idx"),
            # The dashboard: decisions and automatic outcomes in a time window.
            models.Index(fields=["decided_at"], condition=models.Q(decided_at__isnull=False),
                         name="vr_decided_idx"),
            models.Index(fields=["checked_at"], condition=models.Q(checked_at__isnull=False),
                         name="vr_checked_idx"),
        ]
        constraints = [
            # One request in progress per account: a second tab cannot fork the wizard.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(state__in=["draft", "submitted", "checking", "in_review"]),
                name="verification_one_open_request",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.account} ({self.get_state_display()})"

    @property
    def is_decided(self) -> bool:
        return self.state in self.DECIDED_STATES

    def is_claimed_by_other(self, user, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.claimed_by_id and self.claimed_by_id != getattr(user, "pk", None)
            and self.claimed_until and self.claimed_until > now
        )

    @property
    def in_queue(self) -> bool:
        """Whether the case waits for a reviewer (the only state an SLA runs in)."""
        return self.state == self.State.IN_REVIEW

    @property
    def sla_breached(self) -> bool:
        return bool(self.in_queue and self.sla_due_at and self.sla_due_at < timezone.now())

    @classmethod
    def sla_breached_q(cls, now) -> models.Q:
        """The same rule as ``sla_breached``, for a queryset."""
        return models.Q(state=cls.State.IN_REVIEW, sla_due_at__lt=now)


class VerificationImage(models.Model):
    """A re-encoded image in private storage: an ID side or a liveness frame."""

    class Kind(models.TextChoices):
        FRONT = "front", _("ID front")
        BACK = "back", _("ID back")
        FRAME = "frame", _("Liveness frame")
        # The card found in a photo, flattened by the document checks (for reviewers).
        FRONT_CARD = "front_card", _("ID front, card flattened")
        BACK_CARD = "back_card", _("ID back, card flattened")

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="images"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Name in storages["private"]; emptied when the retention purge deletes the file.
    # A CharField on purpose, not a FileField: nothing can derive a URL from it.
    name = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # Perceptual hash (hex) of the picture; kept after the purge so reuse is still seen.
    phash = models.CharField(max_length=16, blank=True, db_index=True)
    # The same hash as a signed 64-bit integer, so the database computes the
    # Hamming distance (bit_count of the XOR) for the reuse check.
    phash_bits = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of #{self.request_id}"


class CheckResult(models.Model):
    """The outcome of one automatic check on a request."""

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="checks"
    )
    name = models.CharField(max_length=32)
    passed = models.BooleanField()
    # 0.0 (certainly bad) .. 1.0 (certainly fine).
    score = models.FloatField()
    # Code of the message shown to the user when the check fails; see checks.MESSAGES.
    code = models.CharField(max_length=48, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "name"], name="check_once_per_request"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {'pass' if self.passed else 'fail'} ({self.score:.2f})"


class IdentityBinding(models.Model):
    """An identity bound to its one primary account; the unique hash decides races."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity_binding"
    )
    identity_hash = models.CharField(max_length=64, unique=True)
    document_type = models.CharField(max_length=16)
    number_encrypted = models.TextField()
    number_masked = models.CharField(max_length=32)
    request = models.ForeignKey(
        VerificationRequest, on_delete=models.PROTECT, related_name="+", null=True
    )
    bound_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity binding")
        verbose_name_plural = _("identity bindings")
        permissions = [("resolve_identity_binding", "Can release or transfer identity bindings")]

    def __str__(self) -> str:
        return f"{self.number_masked} → {self.account}"


class DocumentReading(models.Model):
    """What the document checks found and read in one ID photo (one per photo).

    ``attempts`` counts the reads started: a worker killed mid-read leaves the
    row in ``reading``, and after ``PORTAL_DOCUMENT_READ_MAX_ATTEMPTS`` the
    reading is marked failed (the case then goes to a person) instead of
    being tried forever. The number read is encrypted like a typed one.
    """

    class State(models.TextChoices):
        READING = "reading", _("Reading")
        DONE = "done", _("Read")
        FAILED = "failed", _("Could not be read")

    image = models.OneToOneField(
        VerificationImage, on_delete=models.CASCADE, related_name="reading"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.READING)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # reading.Reading.as_json(): card found, kind, fields (no number), metrics, face.
    data = models.JSONField(default=dict, blank=True)
    number_encrypted = models.TextField(blank=True)
    number_masked = models.CharField(max_length=32, blank=True)
    crop = models.ForeignKey(
        VerificationImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"reading of {self.image} ({self.state})"

    @property
    def fields(self) -> dict:
        return self.data.get("fields", {}) if self.state == self.State.DONE else {}
