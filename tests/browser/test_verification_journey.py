"""A user with a real-name hold verifies on a phone; a reviewer approves in admin.

Two browser contexts against the live server and a real Celery worker: the
owner on a phone-sized viewport (generated photos of a card the document
checks accept, the stub liveness capture through Chromium's fake camera
showing a moving face), the reviewer on a desktop using the real admin pages.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.staff import staff_sign_in_with_code
from tests.browser.wizard import agree_if_asked
from tests.conftest import PASSWORD, wait_for
from tests.verification.pictures import card_jpeg

NUMBER = "11010519491231002X"


NAME = "王小明"


def _card(seed: int, side: str) -> dict:
    photo = card_jpeg(seed, side=side, name=NAME, number=NUMBER)
    return {"name": f"card{seed}.jpg", "mimeType": "image/jpeg", "buffer": photo}


def _upload(page, seed: int, side: str, shot=None) -> None:
    page.wait_for_url(f"**/step/{side}/")
    agree_if_asked(page)
    page.set_input_files("input[name=photo]", _card(seed, side))
    page.wait_for_selector("[data-testid=preview]:not(.d-none)")
    if shot:
        page.screenshot(path=str(shot), full_page=True)
    page.click("[data-testid=next]")


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_owner_verifies_on_a_phone_and_reviewer_approves_in_admin(
    celery_worker, live_server, phone_page, chromium, make_account, place_hold, reviewer,
    screenshot_dir,
):
    from verification.models import DocumentReading, VerificationRequest

    owner = make_account("wang")
    place_hold(owner, "realname_missing")
    page = phone_page
    sign_in(page, live_server, owner.username, PASSWORD)
    assert page.locator("[data-testid=hold-card]").count() == 1

    page.click("[data-testid=remedy][href='/verification/']")
    page.click("[data-testid=begin]")
    page.wait_for_selector("[data-testid=wizard-progress]")
    page.click("[data-testid=next]")  # individual is preselected

    # The front first: the worker reads it while the owner goes on to the details.
    _upload(page, 21, "front", shot=screenshot_dir / "verification-1-photo.png")
    page.wait_for_url("**/step/identity/")
    wait_for(lambda: DocumentReading.objects.filter(state="done").exists(), timeout=60)
    page.reload()
    assert page.locator("[data-testid=prefill-name]").inner_text() == NAME
    assert page.input_value("input[name=number]") == NUMBER  # offered, to confirm
    page.screenshot(path=str(screenshot_dir / "verification-1b-prefill.png"), full_page=True)
    page.fill("input[name=legal_name]", NAME)
    page.select_option("select[name=document_type]", "cn_ric")
    page.click("[data-testid=next]")
    _upload(page, 22, "back")

    page.wait_for_url("**/step/liveness/")
    agree_if_asked(page)
    assert page.locator("[data-testid=digits]").inner_text().strip().isdigit()
    page.screenshot(path=str(screenshot_dir / "verification-2-liveness.png"), full_page=True)
    page.click("[data-testid=capture]")  # Chromium's fake camera answers getUserMedia
    page.wait_for_url("**/step/review/", timeout=30_000)
    assert page.locator("[data-testid=masked-number]").inner_text() == "1101**********002X"
    page.click("[data-testid=submit]")
    page.wait_for_url("**/verification/*/")
    # The worker runs the checks; the page follows by itself (polling) into review.
    page.wait_for_selector("#progress[data-state=in_review]", timeout=30_000)
    page.screenshot(path=str(screenshot_dir / "verification-3-in-review.png"), full_page=True)
    vr = VerificationRequest.objects.get(account=owner)
    assert vr.images.filter(kind="frame").count() >= 3

    staff = chromium.new_context(viewport={"width": 1280, "height": 900})
    staff.set_default_timeout(15_000)
    admin = staff.new_page()
    staff_sign_in_with_code(admin, live_server, reviewer)  # identity images need the code
    admin.goto(f"{live_server.url}/admin/verification/verificationrequest/")
    admin.click(f"a[href$='/verificationrequest/{vr.pk}/change/']")
    admin.wait_for_selector("[data-testid=checks]")
    admin.screenshot(path=str(screenshot_dir / "verification-4-admin-case.png"), full_page=True)
    assert admin.locator("[data-testid=id-image]").count() == 2
    assert admin.locator("[data-testid=card-crop]").count() == 2  # the flattened cards
    assert admin.locator("[data-testid=comparison] [data-testid=differs]").count() == 0
    admin.click("[data-testid=claim]")
    admin.wait_for_selector("[data-testid=release]")
    admin.fill("textarea[name=message]", "审核通过")
    admin.click("[data-testid=approve]")
    admin.wait_for_selector(".messagelist .success")
    staff.close()

    # The owner's progress page changes to the decision without a manual reload.
    page.wait_for_selector("#progress[data-state=approved]", timeout=30_000)
    assert "审核通过" in page.locator("[data-testid=progress]").inner_text()
    page.screenshot(path=str(screenshot_dir / "verification-5-approved.png"), full_page=True)
    page.click("[data-testid=to-status]")
    page.wait_for_selector("[data-testid=all-clear]")
    assert page.locator("[data-testid=hold-card]").count() == 0
