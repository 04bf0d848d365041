"""Owner journeys on a phone (390×844), in Chinese and in English:

1. demo-legal contacts support; staff answer in admin; the owner sees the answer
   without reloading the page.
2. demo-multi's cards are in urgency order: the real-name hold whose deadline
   escalates soonest on top, the lockout that lifts by itself last, without a button.
3. A suspicious-sign-in hold is lifted; the security checklist leads to "sign out
   everywhere else", and a second browser is signed out.

Screenshots go to ``PORTAL_SCREENSHOT_DIR`` when set (``make screenshots``), else to
a temporary folder of the test run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.demo import DEMO_PASSWORD, STAFF_PASSWORD, demo_load
from accounts.models import Account, Hold
from appeals.models import Appeal
from tests.browser.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
TEXT = {
    "zh": {"sent": "你的消息已发送", "announce": "工作人员发来新消息。", "signed_out": "已在 1 台"},
    "en": {"sent": "Your message was sent", "announce": "New message from staff.",
           "signed_out": "Signed out on 1 other"},
}


@pytest.fixture
def shots(screenshot_dir):
    folder = screenshot_dir

    def shot(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot


@pytest.fixture(params=sorted(LANGUAGES))
def lang(request) -> str:
    return request.param


@pytest.fixture
def phone(chromium, lang):
    contexts = []

    def open_phone():
        context = chromium.new_context(locale=LANGUAGES[lang], **PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def staff_sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_legal_hold_contact_support_and_see_the_answer_without_reloading(
        live_server, chromium, phone, lang, shots):
    demo_load()
    owner = phone()
    sign_in(owner, live_server, "demo-legal", DEMO_PASSWORD)
    card = owner.locator("[data-testid=hold-card]")
    assert card.count() == 1 and card.get_attribute("data-reason") == "legal"
    assert card.locator(".btn-primary[data-testid=support]").count() == 1
    shots(owner, f"journey-legal-1-card-{lang}")

    card.locator("[data-testid=support]").click()
    owner.wait_for_selector("[data-testid=support-form]")
    owner.fill("textarea[name=body]", "法院的冻结要到什么时候？ / Until when is the freeze?")
    owner.click("[data-testid=support-form] button[type=submit]")
    owner.wait_for_url(re.compile(r"/appeals/\d+/$"))
    assert TEXT[lang]["sent"] in owner.content()
    case = Appeal.objects.get(account__username="demo-legal")
    assert case.kind == "support"
    owner.evaluate("window.__notReloaded = true")

    staff_context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        staff = staff_context.new_page()
        staff_sign_in(staff, live_server, "officer")
        staff.goto(f"{live_server.url}/admin/appeals/appeal/?kind=support&open=yes")
        staff.click(f"#result_list a[href*='/appeal/{case.pk}/change/']")
        staff.wait_for_selector("[data-testid=staff-thread]")
        staff.fill("#id_reply_body", "The order runs until 2026-06-30. Reference 0042.")
        staff.click("[data-testid=reply]")
        staff.wait_for_selector(".messagelist .success")
        shots(staff, f"journey-legal-2-admin-{lang}")
    finally:
        staff_context.close()

    owner.wait_for_selector("[data-testid=thread] >> text=The order runs until 2026-06-30",
                            timeout=20_000)
    assert owner.evaluate("window.__notReloaded") is True  # the same page, not reloaded
    expect(owner.locator("#case-announce")).to_have_text(TEXT[lang]["announce"])
    assert owner.locator("#case-announce").get_attribute("aria-live") == "polite"
    shots(owner, f"journey-legal-3-answer-{lang}")


def test_demo_multi_cards_are_in_urgency_order(live_server, phone, lang, shots):
    demo_load()
    owner = phone()
    sign_in(owner, live_server, "demo-multi", DEMO_PASSWORD)
    cards = owner.locator("[data-testid=hold-card]")
    reasons = [cards.nth(i).get_attribute("data-reason") for i in range(cards.count())]
    assert reasons == ["realname_missing", "content_violation", "password_failures"]
    top, last = cards.first, cards.last
    assert top.locator("[data-testid=deadline]").is_visible()
    assert top.locator("a.btn-primary").count() == 1
    assert last.locator(".btn").count() == 0  # lifts by itself: no button
    assert top.bounding_box()["y"] < 844  # the most urgent one is on the first screen
    shots(owner, f"journey-multi-order-{lang}")


def test_security_checklist_after_a_lifted_sign_in_hold_signs_out_another_device(
        live_server, phone, lang, shots):
    demo_load()
    account = Account.objects.get(username="demo-frozen")
    main, other = phone(), phone()
    sign_in(other, live_server, "demo-frozen", DEMO_PASSWORD)
    sign_in(main, live_server, "demo-frozen", DEMO_PASSWORD)
    hold = account.holds.get(reason="suspicious_signin")
    assert main.locator(f"[data-testid=hold-card] a[href='/appeals/not-me/{hold.pk}/']").count()
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)

    main.reload()
    checklist = main.locator("[data-testid=security-checklist]")
    assert checklist.is_visible()
    assert checklist.locator("[data-testid=checklist-item][data-done='0']").count() == 3
    shots(main, f"journey-security-1-checklist-{lang}")
    checklist.locator("a[href='/security/']").click()
    main.wait_for_url(f"{live_server.url}/security/")
    assert main.locator("[data-testid=session]").count() == 2
    shots(main, f"journey-security-2-sessions-{lang}")
    main.click("[data-testid=sign-out-others]")
    main.wait_for_selector(".alert-success")
    assert TEXT[lang]["signed_out"] in main.locator(".alert-success").inner_text()
    assert main.locator("[data-testid=session]").count() == 1

    other.goto(f"{live_server.url}/")
    assert "/accounts/login/" in other.url  # the second device is signed out
    main.goto(f"{live_server.url}/")
    item = main.locator("[data-testid=security-checklist] [data-testid=checklist-item]").nth(1)
    assert item.get_attribute("data-done") == "1"
    shots(main, f"journey-security-3-done-{lang}")
