"""Journey: a user with several holds reads the status page in Chinese,
switches to English and follows a remedy; screenshots for the README."""


import pytest

from accounts.demo import DEMO_PASSWORD, demo_load
from accounts.models import Account, Hold
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_with_several_holds_reads_switches_language_and_follows_remedy(
    live_server, phone_page, screenshot_dir
):
    demo_load()
    page = phone_page
    sign_in(page, live_server, "demo-multi", DEMO_PASSWORD)

    # Chinese by default: the overall status and one card per active hold.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("[data-testid=status-banner] h1").inner_text() == "已冻结"
    cards = page.locator("[data-testid=hold-card]")
    assert cards.count() == 3
    assert "未完成实名认证" in page.content()
    assert "如果在截止时间前未完成认证，账号将被冻结。" in page.content()
    page.screenshot(path=str(screenshot_dir / "status-phone-zh.png"), full_page=True)

    # Switch to English; the same page in English.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-testid=status-banner] h1").inner_text() == "Frozen"
    assert "Real-name verification missing or incomplete" in page.content()

    # The "too many wrong passwords" hold lifts by itself: no button, but a link to
    # change the password in case the attempts were not the owner's.
    card = cards.filter(has_text="Too many wrong passwords")
    assert card.locator(".btn").count() == 0
    card.get_by_role("link", name="The attempts were not you? Change your password").click()
    page.wait_for_url(f"{live_server.url}/accounts/password_change/")
    assert page.locator("h1").inner_text() == "Secure your account"


def test_a_hold_placed_in_admin_appears_after_a_reload(live_server, chromium):
    demo_load()
    owner = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    staff = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    owner_page, staff_page = owner.new_page(), staff.new_page()
    try:
        sign_in(owner_page, live_server, "demo-active", DEMO_PASSWORD)
        assert owner_page.locator("[data-testid=all-clear]").count() == 1

        account = Account.objects.get(username="demo-active")
        staff_page.goto(f"{live_server.url}/admin/login/")
        staff_page.fill("input[name=username]", "supervisor")
        staff_page.fill("input[name=password]", "staff-pass-2026")
        staff_page.click("input[type=submit]")
        staff_page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/place-hold/")
        staff_page.select_option("select[name=reason]", "content_violation")
        staff_page.fill("textarea[name=public_message]", "A post of yours was reported.")
        staff_page.click("input[type=submit]")
        staff_page.wait_for_url(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")

        owner_page.reload()
        assert owner_page.locator("[data-testid=hold-card]").count() == 1
        assert "A post of yours was reported." in owner_page.content()
        assert Hold.objects.get(account=account).placed_by.username == "supervisor"
    finally:
        owner.close()
        staff.close()


def test_desktop_screenshot_of_the_status_page(live_server, desktop_page, screenshot_dir):
    demo_load()
    sign_in(desktop_page, live_server, "demo-multi", DEMO_PASSWORD)
    assert desktop_page.locator("[data-testid=hold-card]").count() == 3
    assert desktop_page.locator("[data-testid=timeline] li").count() >= 6
    desktop_page.screenshot(path=str(screenshot_dir / "status-desktop-zh.png"), full_page=True)
