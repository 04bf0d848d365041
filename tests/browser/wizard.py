"""The owner's way through the verification wizard, for every journey that needs it.

One place to follow the wizard's order (who → front → details → back →
liveness → review), so a change of the wizard changes one helper.
"""

from __future__ import annotations

from tests.verification.pictures import card_jpeg


def card_file(seed: int, side: str, *, name: str, number: str) -> dict:
    """A generated photo of one side of a card the document checks accept."""
    photo = card_jpeg(seed, side=side, name=name, number=number)
    return {"name": f"card{seed}-{side}.jpg", "mimeType": "image/jpeg", "buffer": photo}


def agree_if_asked(page) -> None:
    """Give the consent asked on its own page before the ID photos and the camera."""
    page.wait_for_load_state()
    if page.locator("[data-testid=consent-agree]").count():
        page.click("[data-testid=consent-agree]")
        page.wait_for_selector("[data-testid=consent-agree]", state="detached")


def upload_side(page, seed: int, side: str, *, name: str, number: str,
                screenshot: str | None = None) -> None:
    """On the step of ``side``: choose the photo, wait for its preview, go on."""
    page.wait_for_url(f"**/step/{side}/")
    agree_if_asked(page)
    page.set_input_files("input[name=photo]", card_file(seed, side, name=name, number=number))
    page.wait_for_selector("[data-testid=preview]:not(.d-none)")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    page.click("[data-testid=next]")


def fill_details(page, *, name: str, number: str) -> None:
    """On the details step: type (or confirm the prefilled) name and number, go on."""
    page.wait_for_url("**/step/identity/")
    page.fill("input[name=legal_name]", name)
    page.select_option("select[name=document_type]", "cn_ric")
    page.fill("input[name=number]", number)
    page.click("[data-testid=next]")


def complete_and_submit(page, *, name: str, number: str, seeds: tuple[int, int] = (31, 32)) -> None:
    """From the wizard's start page to a submitted request (the progress page)."""
    page.click("[data-testid=begin]")
    page.wait_for_selector("[data-testid=wizard-progress]")
    page.click("[data-testid=next]")  # an individual is preselected
    upload_side(page, seeds[0], "front", name=name, number=number)
    fill_details(page, name=name, number=number)
    upload_side(page, seeds[1], "back", name=name, number=number)
    page.wait_for_url("**/step/liveness/")
    agree_if_asked(page)
    page.click("[data-testid=capture]")  # Chromium's fake camera answers getUserMedia
    page.wait_for_url("**/step/review/", timeout=30_000)
    page.click("[data-testid=submit]")
    page.wait_for_url("**/verification/*/")
