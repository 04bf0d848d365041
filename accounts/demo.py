"""Demo accounts, one per interesting situation, with known passwords."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Account, Hold
from .roles import roles_apply

DEMO_PASSWORD = "demo-pass-2026"
STAFF_PASSWORD = "staff-pass-2026"


@dataclass(frozen=True)
class DemoHold:
    reason: str
    deadline_days: int | None = None
    expiry_hours: int | None = None
    message: str = ""
    # The statement of reasons: what triggered it, as a platform would send it.
    facts: tuple[tuple[str, str], ...] = ()
    decided_by_person: bool = False


@dataclass(frozen=True)
class DemoAccount:
    username: str
    situation: str
    holds: tuple[DemoHold, ...] = field(default=())


DEMO_ACCOUNTS = (
    DemoAccount("demo-active", "active, nothing wrong"),
    DemoAccount(
        "demo-realname",
        "real-name missing, deadline in 5 days",
        (DemoHold("realname_missing", deadline_days=5),),
    ),
    DemoAccount(
        "demo-frozen",
        "frozen for a suspicious sign-in",
        (DemoHold("suspicious_signin", message="检测到新设备在外省登录。",
                  facts=(("region", "广东省 深圳市"), ("time", "2026-03-01 02:14"),
                         ("device", "Android · Xiaomi 2211133C"))),),
    ),
    DemoAccount(
        "demo-multi",
        "several holds at once",
        (
            DemoHold("realname_missing", deadline_days=3),
            DemoHold(
                "content_violation", message="你在 11 月 20 日发布的一条视频被判定为误导信息。",
                facts=(("content", "视频《今天的大新闻》"), ("published_at", "2025-11-20 19:03")),
                decided_by_person=True,
            ),
            DemoHold("password_failures", expiry_hours=12),
        ),
    ),
    DemoAccount("demo-banned", "banned for account trading", (DemoHold("severe_violation"),)),
    DemoAccount("demo-legal", "legal hold", (DemoHold(
        "legal", message="根据有权机关的要求冻结。",
        facts=(("authority", "某市公安局"), ("reference", "（2026）某公协字第 0042 号")),
        decided_by_person=True),)),
    DemoAccount("demo-theft", "account-theft risk: verify and secure, then staff lift it",
                (DemoHold("theft_risk", facts=(("region", "境外"), ("time", "2026-03-02 04:40"),
                                               ("detail", "登录后立即修改了绑定手机"))),)),
)

DEMO_STAFF = (
    ("admin", "superuser", None),
    ("reviewer", "reviewer", "reviewer"),
    ("officer", "appeals officer", "appeals officer"),
    ("supervisor", "supervisor", "supervisor"),
)


DEMO_PLATFORM_CLIENT = "reference platform (demo)"
DEMO_PLATFORM_SCOPES = ["status:read", "holds:write", "accounts:write", "sessions:create"]


def demo_load() -> list[str]:
    """Create the demo accounts and staff that do not exist yet. Return the created names."""
    roles_apply()
    created = [a.username for a in DEMO_ACCOUNTS if _demo_account(a)]
    created += [name for name, _label, group in DEMO_STAFF if _demo_staff(name, group)]
    if settings.DEBUG and _demo_platform():
        created.append(DEMO_PLATFORM_CLIENT)
    _demo_macros_reviewed()
    return created


def _demo_macros_reviewed() -> None:
    """The demo supervisor has read the starter canned replies: the case pages offer them."""
    from appeals.models import Macro
    from appeals.services import macro_approve

    supervisor = Account.objects.get(username="supervisor")
    for macro in Macro.objects.filter(approved_by__isnull=True):
        macro_approve(macro=macro, acting_user=supervisor)


@transaction.atomic
def _demo_account(spec: DemoAccount) -> bool:
    if Account.objects.filter(username=spec.username).exists():
        return False
    account = Account.objects.create_user(
        spec.username,
        email=f"{spec.username}@example.invalid",
        password=DEMO_PASSWORD,
        platform_account_id=f"p-{spec.username}",
    )
    now = timezone.now()
    for hold in spec.holds:
        services.hold_place(
            account=account,
            reason=hold.reason,
            acting_user=None,
            source=Hold.Source.RISK_ENGINE,
            deadline=now + timedelta(days=hold.deadline_days) if hold.deadline_days else None,
            expires_at=now + timedelta(hours=hold.expiry_hours) if hold.expiry_hours else None,
            public_message=hold.message,
            facts=dict(hold.facts),
            decision_mode="human" if hold.decided_by_person else None,
        )
    return True


def _demo_staff(username: str, group: str | None) -> bool:
    if Account.objects.filter(username=username).exists():
        return False
    staff = Account.objects.create_user(
        username,
        email=f"{username}@example.invalid",
        password=STAFF_PASSWORD,
        is_staff=True,
        is_superuser=group is None,
    )
    if group:
        staff.groups.add(Group.objects.get(name=group))
    return True


@transaction.atomic
def _demo_platform() -> bool:
    """Give the reference platform (examples/platform/) its API key and webhook endpoint.

    Known values from settings, so the platform process finds them without a
    step by hand; the embedded run only (``DEBUG``), like the demo passwords.
    """
    from accounts.api import services as api_services
    from accounts.api.models import ServiceClient, WebhookEndpoint

    key = settings.PORTAL_DEMO_PLATFORM_API_KEY
    if not key or ServiceClient.objects.filter(name=DEMO_PLATFORM_CLIENT).exists():
        return False
    api_services.service_client_create(
        name=DEMO_PLATFORM_CLIENT, scopes=DEMO_PLATFORM_SCOPES, acting_user=None, key=key
    )
    WebhookEndpoint.objects.get_or_create(
        name=DEMO_PLATFORM_CLIENT,
        defaults={"url": settings.PORTAL_DEMO_PLATFORM_WEBHOOK_URL,
                  "secret": settings.PORTAL_DEMO_PLATFORM_WEBHOOK_SECRET},
    )
    return True
