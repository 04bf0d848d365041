"""The pages the accessibility checks visit, with the data that fills them.

``build_scene`` loads the demo accounts (``accounts.demo``) and, through the
services, gives them what the owner and staff pages show: a wizard draft, a
submitted verification, an appeal with a staff reply, a support conversation.
``owner_pages`` and ``staff_pages`` name every page with how to reach it, so
the axe, reflow and keyboard checks share one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.demo import DEMO_PASSWORD, STAFF_PASSWORD, demo_load
from accounts.models import Account, Hold
from tests.support import verification as wizard

OWNER_LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}  # the html lang → the browser's locale
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
STAFF_DESKTOP = {"viewport": {"width": 1440, "height": 900}}
# Demo accounts whose status page is checked: one per situation of the README.
STATUS_SITUATIONS = ("demo-active", "demo-realname", "demo-frozen", "demo-multi",
                     "demo-banned", "demo-legal")


@dataclass
class Scene:
    """What ``build_scene`` made: ids the page paths need."""

    draft_pk: int  # demo-realname's wizard draft
    submitted_pk: int  # demo-frozen's verification, submitted and checked
    appeal_pk: int  # demo-multi's appeal against its content hold, with a staff reply
    support_pk: int  # demo-legal's conversation with support
    content_hold_pk: int  # demo-multi's content hold (appeal filing page)
    frozen_hold_pk: int  # demo-frozen's suspicious sign-in (secure, "this was not me")
    multi_pk: int  # demo-multi's account (admin account page)
    link_token: str  # a hand-off sign-in link for demo-realname, not used yet
    consent_draft_pk: int = 0  # demo-multi's draft, no consent given yet (the consent pages)
    extra: dict = field(default_factory=dict)


def build_scene() -> Scene:
    """Load the demo accounts and give them a case of each kind, through the services."""
    from accounts import services
    from appeals import services as appeal_services
    from verification import services as vr_services

    demo_load()
    accounts = {a.username: a for a in Account.objects.filter(username__startswith="demo-")}
    staff = Account.objects.get(username="admin")

    realname = accounts["demo-realname"]
    # Details typed, so the review step shows the masked number (a long unbroken word).
    draft = wizard.draft(realname, name="王小明", number="110101199003074477")

    frozen = accounts["demo-frozen"]
    submitted = wizard.complete(frozen, seed=31, submit=True)
    # Run the checks here (no worker): the staff page then shows their results.
    vr_services.verification_run_checks(request_id=submitted.pk)

    multi = accounts["demo-multi"]
    content_hold = Hold.objects.get(account=multi, reason="content_violation")
    appeal = appeal_services.appeal_file(
        account=multi, hold=content_hold, acting_user=multi, category="wrong_decision",
        statement="这条视频是新闻报道，不是误导信息。I can send the original source.")
    appeal_services.appeal_staff_message(appeal=appeal, acting_user=staff,
                                         body="Thank you. 请上传原始报道的截图。")

    link = services.sign_in_link_issue(account=accounts["demo-realname"], next_path=None,
                                       issued_by_id=None)

    legal = accounts["demo-legal"]
    support = appeal_services.support_open(
        account=legal, hold=Hold.objects.get(account=legal, reason="legal"), acting_user=legal,
        body="我想知道这个冻结什么时候可以解除。")
    return Scene(
        consent_draft_pk=vr_services.verification_start(acting_user=multi).pk,
        draft_pk=draft.pk, submitted_pk=submitted.pk, appeal_pk=appeal.pk,
        support_pk=support.pk, content_hold_pk=content_hold.pk,
        frozen_hold_pk=Hold.objects.get(account=frozen, reason="suspicious_signin").pk,
        multi_pk=multi.pk, link_token=link.token,
    )


@dataclass(frozen=True)
class Page:
    """One page to check: who is signed in (None: nobody), its path, and what to do first."""

    name: str
    path: str
    user: str | None
    prepare: Callable | None = None  # (page, base_url) → None, after loading the path


def _wrong_password(page, base_url: str) -> None:
    page.fill("input[name=username]", "demo-active")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=no-password-hint]")


def _bad_document_number(page, base_url: str) -> None:
    page.fill("input[name=legal_name]", "王小明")
    page.fill("input[name=number]", "110105194912310021")  # checksum wrong
    page.click("[data-testid=next]")
    page.wait_for_selector("input[name=number][aria-invalid=true]")


def _open_upload_fallback(page, base_url: str) -> None:
    page.locator("details summary").first.click()


def _ask_for_a_reset_link(page, base_url: str) -> None:
    page.fill("input[name=email]", "demo-active@example.invalid")
    page.click("button[type=submit]")
    page.wait_for_url("**/password_reset/done/")


def owner_pages(scene: Scene) -> list[Page]:
    """Every owner page: status per situation, the wizard, progress, appeals, sign-in."""
    from verification.selectors import STEPS

    pages = [Page(f"status {who}", "/", who) for who in STATUS_SITUATIONS]
    pages += [
        Page("help", "/help/", "demo-multi"),
        Page("help, signed out", "/help/", None),
        Page("notices", "/notices/", "demo-multi"),
        Page("security", "/security/", "demo-frozen"),
        Page("secure the account", f"/security/secure/{scene.frozen_hold_pk}/", "demo-frozen"),
        Page("two-step set-up", "/security/two-step/", "demo-frozen"),
        Page("data download", "/data/", "demo-banned"),
        Page("verification start", "/verification/", "demo-realname"),
    ]
    pages += [Page(f"wizard step {step}", f"/verification/{scene.draft_pk}/step/{step}/",
                   "demo-realname") for step in STEPS]
    pages += [
        Page("wizard identity step with an error",
             f"/verification/{scene.draft_pk}/step/identity/", "demo-realname",
             _bad_document_number),
        Page("wizard liveness upload fallback open",
             f"/verification/{scene.draft_pk}/step/liveness/", "demo-realname",
             _open_upload_fallback),
        Page("wizard consent before the photos",
             f"/verification/{scene.consent_draft_pk}/step/front/", "demo-multi"),
        Page("wizard consent before the camera",
             f"/verification/{scene.consent_draft_pk}/step/liveness/", "demo-multi"),
        Page("verification progress", f"/verification/{scene.submitted_pk}/", "demo-frozen"),
        Page("appeal filing", f"/appeals/file/{scene.content_hold_pk}/", "demo-multi"),
        Page("appeal page", f"/appeals/{scene.appeal_pk}/", "demo-multi"),
        Page("my appeals", "/appeals/", "demo-multi"),
        Page("support conversation", f"/appeals/{scene.support_pk}/", "demo-legal"),
        Page("contact support", "/appeals/support/new/", "demo-banned"),
        Page("this was not me", f"/appeals/not-me/{scene.frozen_hold_pk}/", "demo-frozen"),
        Page("sign-in", "/accounts/login/", None),
        Page("sign-in refused", "/accounts/login/", None, _wrong_password),
        Page("password reset", "/accounts/password_reset/", None),
        Page("password reset sent", "/accounts/password_reset/", None, _ask_for_a_reset_link),
        Page("password reset link refused", "/accounts/reset/MQ/set-password/", None),
        Page("hand-off continue page", f"/sign-in/link/{scene.link_token}/", None,
             None),
        Page("link refused", "/sign-in/link/" + "x" * 43 + "/", None),
    ]
    return pages


def staff_pages(scene: Scene) -> list[Page]:
    """Every staff page the journeys visit (admin)."""
    return [
        Page("admin sign-in", "/admin/login/", None),
        Page("admin index", "/admin/", "admin"),
        Page("verification queue", "/admin/verification/verificationrequest/", "admin"),
        Page("verification case", f"/admin/verification/verificationrequest/"
             f"{scene.submitted_pk}/change/", "admin"),
        Page("appeal queue", "/admin/appeals/appeal/", "admin"),
        Page("appeal case", f"/admin/appeals/appeal/{scene.appeal_pk}/change/", "admin"),
        Page("account page", f"/admin/accounts/account/{scene.multi_pk}/change/", "admin"),
        Page("queues dashboard", "/admin/queues/", "admin"),
    ]


def sign_in_owner(page, base_url: str, username: str) -> None:
    """Sign in through the portal's own form (the owner lands on the status page)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def sign_in_staff(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
