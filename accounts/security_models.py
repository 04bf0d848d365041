"""The owner's sign-ins and signed-in sessions.

``AccountSession`` is the session table itself: Django's database session
engine extended as its documentation describes (``AbstractBaseSession`` and a
``SessionStore`` naming the model, ``accounts.sessions``), with the account
and where the session signed in from kept in columns. So "your sessions" is
one indexed query and "sign out everywhere else" one DELETE, and a session
whose key is cycled (sign-in, password change) keeps its row's facts.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountSession(AbstractBaseSession):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="sessions", db_index=True,
    )
    device = models.CharField(_("device"), max_length=120, blank=True)
    ip_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class SignInRecord(models.Model):
    """One successful sign-in: when, on what device, from which network address."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins"
    )
    at = models.DateTimeField(_("signed in at"), default=timezone.now, editable=False)
    device = models.CharField(_("device"), max_length=120, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    ip_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["account", "-at"], name="signin_account_at_idx")]

    def __str__(self) -> str:
        return f"{self.account} @ {self.at:%Y-%m-%d %H:%M}"
