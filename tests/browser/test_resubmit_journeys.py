"""Verification journeys without dead ends, on a phone (390×844), in Chinese and English
(issue 12, items 4 and 5):

1. A verification rejected for one blurred photo: the retry asks only for that
   photo (everything else kept), and the request is approved.
2. An identity bound to another account: the result page says it once and
   claims the identity in one tap; the owner files the claim; a supervisor
   transfers the binding in admin; the owner's identity limit is gone.

The automatic checks run in the test process (``verification_run_checks``, the
same service the worker calls), so each journey waits on nothing. Screenshots
go to ``PORTAL_SCREENSHOT_DIR`` when set (``make screenshots``), else to a
temporary folder.
"""

from __future__ import annotations

import pytest

from accounts.models import Account
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PHONE, sign_in
from tests.browser.staff import staff_sign_in_with_code
from tests.browser.wizard import agree_if_asked, card_file, complete_and_submit, upload_side
from tests.conftest import PASSWORD
from tests.support.verification import ID_NUMBERS
from tests.verification.conftest import in_review, make_request  # noqa: F401 - fixtures
from tests.verification.pictures import card_jpeg
from verification import services
from verification.models import VerificationRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
NAME = "王小明"


@pytest.fixture(params=sorted(LANGUAGES))
def lang(request) -> str:
    return request.param


@pytest.fixture
def phone(chromium, lang):
    context = chromium.new_context(locale=LANGUAGES[lang], bypass_csp=True, **PHONE)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(locale="zh-CN", bypass_csp=True,
                                   viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _shot(page, folder, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _checked(page, live_server, request: VerificationRequest) -> VerificationRequest:
    """Run the automatic checks (what the worker does) and reload the progress page."""
    services.verification_run_checks(request_id=request.pk)
    request.refresh_from_db()
    page.goto(f"{live_server.url}/verification/{request.pk}/")
    return request


def test_one_blurred_photo_is_retaken_alone_then_approved(
        live_server, phone, lang, make_account, place_hold, reviewer, screenshot_dir):
    owner = make_account(f"blur{lang}")
    place_hold(owner, "realname_missing")
    sign_in(phone, live_server, owner.username, PASSWORD)
    phone.goto(f"{live_server.url}/verification/")
    number = ID_NUMBERS[1]
    phone.click("[data-testid=begin]")
    phone.click("[data-testid=next]")  # an individual
    phone.wait_for_url("**/step/front/")
    phone.wait_for_selector("[data-testid=consent][data-scope=photos]")  # its own page first
    _shot(phone, screenshot_dir, f"consent-before-photos-{lang}")
    upload_side(phone, 41, "front", name=NAME, number=number)
    phone.wait_for_url("**/step/identity/")
    phone.fill("input[name=legal_name]", NAME)
    phone.select_option("select[name=document_type]", "cn_ric")
    phone.fill("input[name=number]", number)
    phone.click("[data-testid=next]")
    phone.wait_for_url("**/step/back/")
    blurred = card_jpeg(42, side="back", name=NAME, number=number, blur=6)
    phone.set_input_files("input[name=photo]", {"name": "back.jpg", "mimeType": "image/jpeg",
                                                "buffer": blurred})
    phone.wait_for_selector("[data-testid=preview]:not(.d-none)")
    phone.click("[data-testid=next]")
    phone.wait_for_url("**/step/liveness/")
    agree_if_asked(phone)
    phone.click("[data-testid=capture]")
    phone.wait_for_url("**/step/review/", timeout=30_000)
    phone.click("[data-testid=submit]")
    phone.wait_for_url("**/verification/*/")
    first = VerificationRequest.objects.get(account=owner)
    first = _checked(phone, live_server, first)
    assert first.state == "auto_rejected" and first.redo_parts == ["back"]
    phone.wait_for_selector("[data-testid=redo-parts]")
    assert phone.locator("[data-testid=redo-parts] + ul li").count() == 1
    _shot(phone, screenshot_dir, f"resubmit-1-one-photo-rejected-{lang}")
    assert_no_axe_violations(phone, f"verification result, one photo to retake ({lang})")

    phone.click("[data-testid=retry]")
    phone.click("[data-testid=begin]")
    phone.wait_for_url("**/step/back/")  # straight to the one photo asked again
    phone.wait_for_selector("[data-testid=redo-notice]")
    _shot(phone, screenshot_dir, f"resubmit-2-retake-only-the-back-{lang}")
    assert_no_axe_violations(phone, f"wizard, retake one photo ({lang})")
    phone.set_input_files("input[name=photo]", card_file(43, "back", name=NAME, number=number))
    phone.wait_for_selector("[data-testid=preview]:not(.d-none)")
    phone.click("[data-testid=next]")
    phone.wait_for_url("**/step/review/")  # details, front and liveness were kept
    phone.click("[data-testid=submit]")
    phone.wait_for_url("**/verification/*/")
    retry = VerificationRequest.objects.exclude(pk=first.pk).get(account=owner)
    retry = _checked(phone, live_server, retry)
    assert retry.state == "in_review", list(retry.checks.filter(passed=False).values("name"))
    services.verification_approve(request=retry, acting_user=reviewer)
    phone.goto(f"{live_server.url}/verification/{retry.pk}/")
    phone.wait_for_selector("[data-testid=progress][data-state=approved]")
    _shot(phone, screenshot_dir, f"resubmit-3-approved-{lang}")
    phone.goto(f"{live_server.url}/")
    owner.refresh_from_db()
    assert owner.status == Account.Status.ACTIVE


def test_identity_bound_elsewhere_claim_and_a_supervisor_transfers_it(
        live_server, phone, desktop, lang, make_account, in_review, reviewer,  # noqa: F811
        supervisor, screenshot_dir):
    number = ID_NUMBERS[0]
    # Photos of fixed seeds (the default follows the account's id, which depends
    # on what ran before), so the holder's own case always reaches a reviewer.
    holder_request = in_review(make_account(f"holder{lang}"), number=number, name=NAME,
                               seed=610 if lang == "en" else 620)
    services.verification_approve(request=holder_request, acting_user=reviewer)
    claimant = make_account(f"claim{lang}")
    sign_in(phone, live_server, claimant.username, PASSWORD)
    phone.goto(f"{live_server.url}/verification/")
    complete_and_submit(phone, name=NAME, number=number, seeds=(51, 52))
    attempt = VerificationRequest.objects.get(account=claimant)
    attempt = _checked(phone, live_server, attempt)
    assert attempt.decision_reason == "identity_bound"
    phone.wait_for_selector("[data-testid=claim-identity]")
    assert phone.locator("[data-testid=identity-bound]").count() == 1
    assert phone.locator("[data-testid=decision-message]").count() == 0  # said once
    _shot(phone, screenshot_dir, f"identity-1-bound-elsewhere-{lang}")
    assert_no_axe_violations(phone, f"verification result, identity bound ({lang})")

    phone.click("[data-testid=claim-identity]")  # one tap to the claim
    phone.wait_for_selector("[data-testid=appeal-form]")
    assert phone.input_value("select[name=category]") == "identity_claim"
    phone.fill("textarea[name=statement]", "这张身份证是我本人的，另一个账号不是我注册的。")
    _shot(phone, screenshot_dir, f"identity-2-claim-{lang}")
    phone.click("[data-testid=appeal-form] button[type=submit]")
    phone.wait_for_url("**/appeals/*/")

    staff_sign_in_with_code(desktop, live_server, supervisor)
    desktop.goto(f"{live_server.url}/admin/verification/identitybinding/"
                 f"?q={claimant.username}")
    desktop.click("#result_list tbody a")
    desktop.click("[data-testid=pick-claimant]")
    desktop.select_option("select[name=action]", "transfer")
    desktop.fill("textarea[name=note]", "本人持证视频核验通过")
    _shot(desktop, screenshot_dir, f"identity-3-supervisor-transfer-{lang}")
    desktop.click("[data-testid=resolve]")
    desktop.wait_for_selector(".messagelist .success")

    claimant.refresh_from_db()
    assert claimant.identity_binding.identity_hash == attempt.identity_hash
    assert not claimant.holds.filter(reason="identity_bound", lifted_at__isnull=True).exists()
    phone.goto(f"{live_server.url}/notices/")
    _shot(phone, screenshot_dir, f"identity-4-claim-accepted-{lang}")
    assert_no_axe_violations(phone, f"notices after the transfer ({lang})")
