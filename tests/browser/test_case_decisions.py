"""Issue 13's budget, measured in a browser at 1440×900: a verification decision
and an appeal decision each take at most two page loads, and the decision
controls are on the first screen, no scrolling.

Page loads are counted with Playwright's ``load`` event on the page (each
document load: a goto, a form post's redirect target). The controls' boxes are
read before anything scrolls: ``window.scrollY`` stays 0 and each box lies
inside the 900 px viewport.
"""

from __future__ import annotations

import pytest

from tests.browser.staff import staff_sign_in_with_code
from tests.conftest import PASSWORD
from tests.support import verification as wizard
from tests.support.verification import ID_NUMBERS

VIEWPORT = {"width": 1440, "height": 900}
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


class LoadCounter:
    """Counts the page's document loads from the moment it is attached."""

    def __init__(self, page):
        self.count = 0
        page.on("load", self._loaded)

    def _loaded(self, _page) -> None:
        self.count += 1


def _staff_page(chromium, live_server, user, language: str, *, with_code: bool = False):
    """Signed in to admin; ``with_code``: with the authenticator code too, which
    the identity images and details of a verification case need."""
    context = chromium.new_context(viewport=VIEWPORT, locale=LOCALES[language])
    context.set_default_timeout(15_000)
    page = context.new_page()
    if with_code:
        staff_sign_in_with_code(page, live_server, user)
        return context, page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return context, page


def _on_first_screen(page, selectors: list[str]) -> None:
    """Every control is visible inside the viewport, and the page has not scrolled."""
    assert page.evaluate("window.scrollY") == 0
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert 0 <= box["y"] and box["y"] + box["height"] <= VIEWPORT["height"], (
            f"{selector} is at {box['y']:.0f}–{box['y'] + box['height']:.0f} px: below the fold")
        assert box["x"] + box["width"] <= VIEWPORT["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_verification_decision_in_two_page_loads_without_scrolling(
        chromium, live_server, make_account, reviewer, private_dir, screenshot_dir, language):
    from verification.models import VerificationRequest

    first = wizard.in_review(make_account("owner-one"), number=ID_NUMBERS[0], seed=11)
    second = wizard.in_review(make_account("owner-two"), number=ID_NUMBERS[1], seed=21)
    reviewer.language = language
    reviewer.save(update_fields=["language"])
    context, page = _staff_page(chromium, live_server, reviewer, language, with_code=True)
    loads = LoadCounter(page)

    page.goto(f"{live_server.url}/admin/verification/verificationrequest/{first.pk}/change/")
    _on_first_screen(page, ["[data-testid=approve]", "[data-testid=reject]",
                            "select[name=reason]", "[data-testid=decision] textarea[name=message]",
                            "[data-testid=comparison]", "[data-testid=failed-checks]"])
    page.screenshot(path=str(screenshot_dir / f"case-verification-{language}.png"))
    page.fill("[data-testid=decision] textarea[name=message]", "审核通过")
    page.click("[data-testid=approve]")  # claims, decides, opens the next case claimed
    page.wait_for_url(f"**/verificationrequest/{second.pk}/change/")
    page.wait_for_selector(".messagelist .success")
    assert loads.count == 2
    assert VerificationRequest.objects.get(pk=first.pk).state == "approved"
    assert VerificationRequest.objects.get(pk=second.pk).claimed_by == reviewer

    # The next case from the keyboard: R goes to the reason, A to Approve, Enter confirms.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.select_option("select[name=reason]", "document_expired")
    page.locator("[data-testid=release]").focus()
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.dataset.testid") == "approve"
    page.locator("[data-testid=reject]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/verificationrequest/")  # no other case: back to the queue
    assert loads.count == 3  # one more load for the second decision
    decided = VerificationRequest.objects.get(pk=second.pk)
    assert decided.state == "rejected" and decided.decision_reason == "document_expired"
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_appeal_decision_in_two_page_loads_without_scrolling(
        chromium, live_server, officer, supervisor, restricted_user, private_dir, screenshot_dir,
        language):
    from appeals import services
    from appeals.models import Appeal, Macro

    appeal = services.appeal_file(
        account=restricted_user, hold=restricted_user.holds.get(), acting_user=restricted_user,
        category="wrong_decision", statement="我转发的是新闻报道。" * 40)
    for n in range(6):  # a long thread: the reply box must still be on the first screen
        services.appeal_staff_message(appeal=appeal, acting_user=supervisor, internal=True,
                                      body=f"Note {n}: " + "checked the source. " * 20)
    macro = services.macro_save(macro=Macro(
        kind="appeal", title="Limit lifted", body_en="We checked again and lifted the limit.",
        body_zh_hans="我们重新核查后解除了限制。"), acting_user=supervisor)
    services.macro_approve(macro=macro, acting_user=supervisor)
    officer.language = language
    officer.save(update_fields=["language"])
    context, page = _staff_page(chromium, live_server, officer, language)
    loads = LoadCounter(page)

    page.goto(f"{live_server.url}/admin/appeals/appeal/{appeal.pk}/change/")
    _on_first_screen(page, ["[data-testid=macro]", "#id_reply_body", "[data-testid=accept]",
                            "[data-testid=reject]", "[data-testid=reply]"])
    page.screenshot(path=str(screenshot_dir / f"case-appeal-{language}.png"))
    page.click("[data-testid=macro]")  # fills the box; still editable, nothing sent
    assert page.input_value("#id_reply_body") == macro.body_for(restricted_user.language)
    page.fill("#id_reply_body", page.input_value("#id_reply_body") + " 谢谢。")
    page.keyboard.press("a")  # typed in the box: a letter, not a shortcut
    assert page.input_value("#id_reply_body").endswith(" 谢谢。a")
    page.fill("#id_reply_body", page.input_value("#id_reply_body")[:-1])
    page.locator("[data-testid=claim-state] p").click()  # out of the box
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.dataset.testid") == "accept"
    page.keyboard.press("Enter")  # decides, then the next case (none: the queue)
    page.wait_for_url("**/admin/appeals/appeal/")
    page.wait_for_selector(".messagelist .success")
    assert loads.count == 2
    decided = Appeal.objects.get(pk=appeal.pk)
    assert decided.state == "accepted" and decided.decision_message.endswith(" 谢谢。")
    context.close()
