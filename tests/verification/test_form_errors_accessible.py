"""Form errors are tied to their fields (WCAG 1.3.1, 3.3.1): the field says it is
invalid (``aria-invalid``) and points at the words of its error and help text
(``aria-describedby``), and the page title starts with "Error:"."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from verification import services

from .pictures import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_account, place_hold, client):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    client.force_login(account)
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    return request


def _described(page, name: str) -> tuple[lxml.html.HtmlElement, list[str]]:
    """The field named ``name`` and the texts its aria-describedby points at."""
    field = page.xpath(f"//*[@name='{name}']")[0]
    ids = (field.get("aria-describedby") or "").split()
    return field, [page.get_element_by_id(i).text_content().strip() for i in ids]


def _post(client, vr, step: str, data: dict) -> lxml.html.HtmlElement:
    response = client.post(reverse("verification:step", args=[vr.pk, step]), data)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def test_a_wrong_document_number_is_tied_to_the_number_field(draft, client):
    page = _post(client, draft, "identity", {
        "legal_name": "张三", "document_type": "cn_ric", "number": "110105194912310021"})
    field, texts = _described(page, "number")
    assert field.get("aria-invalid") == "true"
    assert any("does not match" in text for text in texts), texts
    assert page.findtext(".//title").startswith("Error:")
    # The fields without an error are not marked invalid, and keep their help text.
    name, name_texts = _described(page, "legal_name")
    assert name.get("aria-invalid") is None
    assert name_texts == ["Exactly as printed on the document."]


def test_a_refused_photo_is_tied_to_the_file_field(draft, client):
    page = _post(client, draft, "front", {"photo": upload(b"<svg></svg>", "x.svg")})
    field, texts = _described(page, "photo")
    assert field.get("type") == "file" and field.get("aria-invalid") == "true"
    assert any("Only JPEG, PNG, WebP or HEIC" in text for text in texts), texts


def test_the_camera_steps_upload_fallback_is_labelled_and_described(draft, client):
    response = client.get(reverse("verification:step", args=[draft.pk, "liveness"]))
    page = lxml.html.fromstring(response.content.decode())
    field, texts = _described(page, "frames")
    label = page.xpath(f"//label[@for='{field.get('id')}']")[0].text_content()
    assert "Photos of your face" in label
    assert texts == ["Take three or more photos while doing the actions above."]
    assert page.xpath("//details[contains(@class, 'liveness-fallback')]/summary")  # reachable by keyboard
    # The digits are read out one by one; the status line is a polite live region.
    digits = page.xpath("//*[@data-testid='digits']")[0]
    assert digits.get("aria-hidden") == "true"
    spoken = digits.getnext().text_content().split()
    assert "".join(spoken) == digits.text_content() and all(len(d) == 1 for d in spoken)
    status = page.xpath("//*[@data-testid='liveness-status']")[0]
    assert status.get("role") == "status" and status.get("aria-live") == "polite"


def test_a_form_wide_error_is_an_alert(client, make_account):
    account = make_account("lin")
    response = client.post(reverse("login"), {"username": account.username, "password": "no"})
    page = lxml.html.fromstring(response.content.decode())
    alert = page.xpath("//*[@data-testid='form-errors']")[0]
    assert alert.get("role") == "alert"
    assert page.findtext(".//title").startswith("Error:")
