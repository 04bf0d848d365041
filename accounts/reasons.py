"""The reason catalog: why an account can be limited, and what clears it.

A registry in code (not the database) because every reason carries behaviour
(escalation, remedies, whether self-service and appeal are allowed) that the
rest of the code relies on. Titles and explanations are translatable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a str or a lazy translation


class Level(models.TextChoices):
    """How severe a hold is. Order matters: restricted < frozen < banned."""

    RESTRICTED = "restricted", _("Restricted")
    FROZEN = "frozen", _("Frozen")
    BANNED = "banned", _("Banned")


LEVEL_RANK = {Level.RESTRICTED: 1, Level.FROZEN: 2, Level.BANNED: 3}


class Feature(models.TextChoices):
    """What a hold can block on the host platform."""

    SIGN_IN = "sign_in", _("Sign in to the app")
    PUBLISH = "publish", _("Publish posts and videos")
    COMMENT = "comment", _("Comment")
    LIKE = "like", _("Like")
    FOLLOW = "follow", _("Follow others")
    MESSAGE = "message", _("Send private messages")
    LIVE = "live", _("Go live")
    TIP = "tip", _("Send and receive tips")
    WITHDRAW = "withdraw", _("Withdraw your balance")
    PAY = "pay", _("Make payments")


ALL_FEATURES = tuple(Feature.values)
SOCIAL_FEATURES = ("publish", "comment", "like", "follow", "message", "live")
MONEY_FEATURES = ("tip", "withdraw", "pay")
EVERYTHING_BUT_SIGN_IN = SOCIAL_FEATURES + MONEY_FEATURES


class Remedy(models.TextChoices):
    """What the owner can do to clear a hold."""

    VERIFY = "verify", _("Verify your identity")
    SECURE = "secure", _("Secure your account")
    APPEAL = "appeal", _("Appeal this decision")
    PAY = "pay", _("Pay the outstanding fees")
    WAIT = "wait", _("Wait for it to lift by itself")
    CONTACT = "contact", _("Contact support")


@dataclass(frozen=True)
class Reason:
    """One entry of the catalog."""

    code: str
    title: StrOrPromise
    explanation: StrOrPromise
    level: str
    features: tuple[str, ...]
    remedies: tuple[str, ...]
    handling_time: StrOrPromise
    allowed_levels: tuple[str, ...] = ()
    self_service: bool = True
    # True when every remedy is needed (theft: verify *and* secure), so no
    # single remedy's success lifts the hold by itself; staff decide.
    all_remedies_required: bool = False
    appealable: bool = False
    appeal_is_final: bool = False
    # Lifting it by hand (or accepting an appeal against it) takes a
    # supervisor, or an API client with the ``holds:lift_protected`` scope.
    lift_needs_supervisor: bool = False
    # Someone else may control the account: its appeals are urgent.
    takeover_risk: bool = False
    # Money could be lost while it stands (with withdrawals blocked: most urgent).
    money_at_risk: bool = False
    # A security hold: once it is lifted the owner is offered the security
    # checklist (recent sign-ins, sessions, two-step verification).
    security: bool = False
    # Placed to protect the owner (a freeze "to keep you safe"); a legal hold is not.
    protective: bool = True
    # Placed by the system when a verification attempt fails (the identity is
    # bound elsewhere): the owner's own approved verification lifts it.
    cleared_by_own_verification: bool = False
    # The reason placed when the owner says "this wasn't me" on this hold.
    not_me_places: str | None = None
    # Escalation: when the hold's deadline passes it moves to this level and
    # blocks these features too. None means a deadline makes no sense.
    escalates_to: str | None = None
    escalation_features: tuple[str, ...] = ()
    escalation_text: StrOrPromise = ""
    default_deadline: timedelta | None = None
    default_expiry: timedelta | None = None
    appeal_sla: timedelta = field(default=timedelta(hours=48))

    @property
    def levels(self) -> tuple[str, ...]:
        return self.allowed_levels or (self.level,)


_CATALOG: tuple[Reason, ...] = (
    Reason(
        code="realname_missing",
        title=_("Real-name verification missing or incomplete"),
        explanation=_(
            "The law requires accounts that publish, stream or move money to be tied to a "
            "verified real name. Your account has not finished real-name verification."
        ),
        level=Level.RESTRICTED,
        features=("publish", "live", "tip", "withdraw"),
        remedies=(Remedy.VERIFY,),
        handling_time=_("Usually a few minutes; up to 24 hours if a person reviews it"),
        escalates_to=Level.FROZEN,
        escalation_features=EVERYTHING_BUT_SIGN_IN,
        escalation_text=_("If you do not verify by the deadline, the account will be frozen."),
        default_deadline=timedelta(days=7),
    ),
    Reason(
        code="realname_outdated",
        title=_("Real-name details need to be confirmed again"),
        explanation=_(
            "Your real-name details are out of date, or your account was picked for a random "
            "spot check. Confirming them again takes a few minutes."
        ),
        level=Level.RESTRICTED,
        features=("live", "tip", "withdraw"),
        remedies=(Remedy.VERIFY,),
        handling_time=_("Usually a few minutes; up to 24 hours if a person reviews it"),
    ),
    Reason(
        code="suspicious_signin",
        title=_("Suspicious sign-in"),
        explanation=_(
            "Someone signed in to your account from a new device or region in a way that looks "
            "unlike you. We froze the account to protect it until you confirm it is you."
        ),
        level=Level.FROZEN,
        features=ALL_FEATURES,
        remedies=(Remedy.VERIFY, Remedy.SECURE),
        handling_time=_("Usually a few minutes after you verify"),
        appealable=True,
        takeover_risk=True,
        security=True,
        not_me_places="theft_risk",
        appeal_sla=timedelta(hours=24),
    ),
    Reason(
        code="password_failures",
        title=_("Too many wrong passwords"),
        explanation=_(
            "There were too many wrong password attempts. Sign-in is paused for a while so no one "
            "can guess your password."
        ),
        level=Level.FROZEN,
        features=("sign_in",),
        remedies=(Remedy.SECURE, Remedy.WAIT),
        handling_time=_("Lifts by itself when the pause ends"),
        security=True,
        default_expiry=timedelta(hours=24),
    ),
    Reason(
        code="theft_risk",
        title=_("Your account may have been taken over"),
        explanation=_(
            "We saw signs that someone else may control your account. It is frozen so nothing "
            "can be changed or withdrawn until you prove it is yours."
        ),
        level=Level.FROZEN,
        features=ALL_FEATURES,
        remedies=(Remedy.VERIFY, Remedy.SECURE),
        handling_time=_("Usually within 24 hours"),
        all_remedies_required=True,
        appealable=True,
        takeover_risk=True,
        money_at_risk=True,
        security=True,
        appeal_sla=timedelta(hours=24),
    ),
    Reason(
        code="bulk_activity",
        title=_("Bulk or automated activity"),
        explanation=_(
            "Your account acted faster or more regularly than a person usually does, which is "
            "typical of bots and bulk tools."
        ),
        level=Level.RESTRICTED,
        allowed_levels=(Level.RESTRICTED, Level.FROZEN),
        features=("publish", "comment", "like", "follow", "message"),
        remedies=(Remedy.APPEAL,),
        handling_time=_("Appeals are answered within 48 hours"),
        appealable=True,
    ),
    Reason(
        code="content_violation",
        title=_("Content that breaks the community rules"),
        explanation=_(
            "Something you published was judged to break the community rules. Publishing is "
            "limited while the decision stands."
        ),
        level=Level.RESTRICTED,
        allowed_levels=(Level.RESTRICTED, Level.FROZEN),
        features=("publish", "comment", "live"),
        remedies=(Remedy.APPEAL,),
        handling_time=_("Appeals are answered within 48 hours"),
        appealable=True,
    ),
    Reason(
        code="identity_bound",
        title=_("Your identity is already bound to another account"),
        explanation=_(
            "The identity document you used is already bound to a different account. One "
            "identity can be the owner of one primary account."
        ),
        level=Level.RESTRICTED,
        features=("live", "tip", "withdraw"),
        remedies=(Remedy.APPEAL,),
        handling_time=_("Identity claims are answered within 48 hours"),
        appealable=True,
        cleared_by_own_verification=True,
    ),
    Reason(
        code="payment_anomaly",
        title=_("Unusual payment activity"),
        explanation=_(
            "Payments on your account looked unusual. Money features are frozen to protect you "
            "and others until we confirm who is paying."
        ),
        level=Level.FROZEN,
        features=MONEY_FEATURES,
        remedies=(Remedy.VERIFY, Remedy.APPEAL),
        handling_time=_("Usually within 24 hours"),
        all_remedies_required=True,
        appealable=True,
        money_at_risk=True,
        appeal_sla=timedelta(hours=24),
    ),
    Reason(
        code="unpaid_fees",
        title=_("Unpaid fees"),
        explanation=_(
            "Your business account has fees that are overdue. It is frozen until they are paid "
            "and lifts by itself once the payment arrives."
        ),
        level=Level.FROZEN,
        features=("publish", "live", "tip", "withdraw"),
        remedies=(Remedy.PAY,),
        handling_time=_("Lifts within an hour of payment"),
    ),
    Reason(
        code="inactivity",
        title=_("Long inactivity"),
        explanation=_(
            "Your account has not been used for a long time, so it was frozen to keep it safe. "
            "You can reactivate it yourself."
        ),
        level=Level.FROZEN,
        features=ALL_FEATURES,
        remedies=(Remedy.VERIFY,),
        handling_time=_("Usually a few minutes"),
    ),
    Reason(
        code="legal",
        title=_("Legal requirement"),
        explanation=_(
            "The account is frozen because of a legal requirement, such as an order from an "
            "authority. We cannot change this through the portal."
        ),
        level=Level.FROZEN,
        features=ALL_FEATURES,
        remedies=(Remedy.CONTACT,),
        handling_time=_("Depends on the authority involved"),
        self_service=False,
        lift_needs_supervisor=True,
        protective=False,
    ),
    Reason(
        code="severe_violation",
        title=_("Account trading or severe violation"),
        explanation=_(
            "The account was banned for buying, selling or renting accounts, or another severe "
            "violation of the rules."
        ),
        level=Level.BANNED,
        features=ALL_FEATURES,
        remedies=(Remedy.APPEAL,),
        handling_time=_("Appeals are answered within 48 hours; the decision is final"),
        self_service=False,
        appealable=True,
        appeal_is_final=True,
        lift_needs_supervisor=True,
        protective=False,
    ),
)

CATALOG: dict[str, Reason] = {reason.code: reason for reason in _CATALOG}
# The reason placed when a verification finds the identity bound to another account.
IDENTITY_BOUND = "identity_bound"
REASON_CHOICES = [(reason.code, reason.title) for reason in _CATALOG]


def get_reason(code: str) -> Reason | None:
    """Return the catalog entry for ``code``, or None if there is none."""
    return CATALOG.get(code)


SECURITY_REASONS = tuple(reason.code for reason in _CATALOG if reason.security)


def reasons_cleared_by_own_verification() -> list[str]:
    """Return the codes of the reasons a failed attempt places and an approval lifts."""
    return [reason.code for reason in _CATALOG if reason.cleared_by_own_verification]


def reasons_with_remedy(remedy: str) -> list[str]:
    """Return the codes of the reasons that ``remedy`` alone clears."""
    return [
        reason.code
        for reason in _CATALOG
        if remedy in reason.remedies
        and (not reason.all_remedies_required or reason.remedies == (remedy,))
    ]
