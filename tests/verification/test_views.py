"""The wizard, progress page and staff image view through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support.verification import ID_NUMBERS
from verification import selectors, services
from verification.models import VerificationImage, VerificationRequest

from .pictures import card_jpeg, frame_jpeg, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_account, place_hold, client):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    client.force_login(account)
    return account


def _step(pk, name):
    return reverse("verification:step", args=[pk, name])


def test_status_page_offers_the_wizard(owner, client):
    page = client.get(reverse("accounts:status")).content.decode()
    assert reverse("verification:start") in page


def test_wizard_walks_through_every_step_and_survives_a_reload(owner, client):
    response = client.post(reverse("verification:start"))
    vr = VerificationRequest.objects.get(account=owner)
    assert response.url == _step(vr.pk, "who")
    page = client.get(_step(vr.pk, "who")).content.decode()
    assert "1" in page and "6" in page  # progress: step 1 of 6
    response = client.post(_step(vr.pk, "who"), {"subject": "individual"})
    # The front photo comes first: the details step then offers what was read from it.
    assert response.url == _step(vr.pk, "front")
    assert 'data-scope="photos"' in client.get(_step(vr.pk, "front")).content.decode()
    client.post(_step(vr.pk, "front"), {"consent": "photos"})  # its own page, first
    page = client.get(_step(vr.pk, "front")).content.decode()
    assert 'capture="environment"' in page and 'accept="image/' in page
    response = client.post(_step(vr.pk, "front"), {"photo": upload(card_jpeg(11))})
    assert response.url == _step(vr.pk, "identity")
    # A reload (a new visit to the start page) resumes at the first missing step.
    assert client.post(reverse("verification:start")).url == _step(vr.pk, "identity")
    bad = client.post(_step(vr.pk, "identity"), {
        "legal_name": "张三", "document_type": "cn_ric", "number": "110105194912310021"})
    assert bad.status_code == 200 and "does not match" in bad.content.decode()
    response = client.post(_step(vr.pk, "identity"), {
        "legal_name": "张三", "document_type": "cn_ric", "number": ID_NUMBERS[0]})
    assert response.url == _step(vr.pk, "back")
    bad = client.post(_step(vr.pk, "back"), {"photo": upload(b"<svg></svg>", "x.svg")})
    assert "Only JPEG, PNG, WebP or HEIC" in bad.content.decode()
    client.post(_step(vr.pk, "back"), {"photo": upload(card_jpeg(12, side="back"))})
    client.post(_step(vr.pk, "liveness"), {"consent": "liveness"})
    page = client.get(_step(vr.pk, "liveness")).content.decode()
    vr.refresh_from_db()
    assert vr.liveness_challenge["digits"] in page
    for i in range(3):
        r = client.post(reverse("verification:liveness_frame", args=[vr.pk]),
                        {"frame": upload(frame_jpeg(100 + i))})
        assert r.json()["frames"] == i + 1
    review = client.get(_step(vr.pk, "review")).content.decode()
    assert "1101**********002X" in review and ID_NUMBERS[0] not in review
    response = client.post(_step(vr.pk, "review"))
    assert response.url == reverse("verification:progress", args=[vr.pk])
    vr.refresh_from_db()
    assert vr.state == "submitted"
    progress = client.get(response.url).content.decode()
    assert "progress.json" in progress and "<noscript>" in progress
    assert client.get(reverse("verification:progress_json", args=[vr.pk])).json() == {
        "state": "submitted", "decided": False}
    # Steps of a submitted request lead to its progress page.
    assert client.get(_step(vr.pk, "front")).url == reverse("verification:progress", args=[vr.pk])


def test_liveness_upload_fallback_accepts_several_files(owner, client):
    client.post(reverse("verification:start"))
    vr = VerificationRequest.objects.get(account=owner)
    client.post(_step(vr.pk, "liveness"), {"consent": "liveness"})
    client.get(_step(vr.pk, "liveness"))
    response = client.post(_step(vr.pk, "liveness"), {
        "frames": [upload(frame_jpeg(i), f"f{i}.jpg") for i in range(3)]})
    assert response.status_code == 302
    assert vr.images.filter(kind="frame").count() == 3


def test_another_owner_cannot_see_or_touch_my_request(owner, client, make_request, make_account):
    other = make_request()
    assert client.get(reverse("verification:progress", args=[other.pk])).status_code == 404
    assert client.get(reverse("verification:progress_json", args=[other.pk])).status_code == 404
    assert client.get(_step(other.pk, "front")).status_code == 404
    r = client.post(reverse("verification:liveness_frame", args=[other.pk]),
                    {"frame": upload(frame_jpeg(1))})
    assert r.status_code == 404


def test_no_wizard_or_progress_page_may_be_kept_by_a_cache(owner, client, make_request):
    """They show the owner's name and ID number (the details step fills in the
    number read from the card): no browser or proxy may store them."""
    draft = make_request(owner)
    responses = {name: client.get(_step(draft.pk, name))
                 for name in ("who", "identity", "front", "review")}
    services.verification_submit(request=draft, acting_user=owner)
    responses["progress"] = client.get(reverse("verification:progress", args=[draft.pk]))
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name


# The staff image view's access rule and audit: tests/verification/test_image_access.py


def test_stored_file_names_are_not_reachable_by_any_url(make_request, client, admin_user):
    vr = make_request()
    name = VerificationImage.objects.filter(request=vr).first().name
    client.force_login(admin_user)
    for prefix in ("/", "/media/", "/static/", "/private/"):
        assert client.get(prefix + name).status_code == 404


def test_rejected_owner_sees_the_reason_and_can_try_again(in_review, reviewer, client):
    vr = in_review()
    services.verification_reject(request=vr, acting_user=reviewer, reason="details_mismatch",
                                 message="姓名与证件不一致")
    client.force_login(vr.account)
    page = client.get(reverse("verification:progress", args=[vr.pk])).content.decode()
    assert "姓名与证件不一致" in page and reverse("verification:start") in page
    start = client.get(reverse("verification:start")).content.decode()
    assert "姓名与证件不一致" in start


def test_identity_bound_elsewhere_leads_to_the_claim_button(in_review, make_request, reviewer,
                                                             client):
    services.verification_approve(request=in_review(), acting_user=reviewer)
    vr = make_request(number=ID_NUMBERS[0], submit=True)
    services.verification_run_checks(request_id=vr.pk)
    client.force_login(vr.account)
    progress = client.get(reverse("verification:progress", args=[vr.pk])).content.decode()
    assert "already bound to another account" in progress and "claim it" in progress
    assert 'data-testid="claim-identity"' in progress
    hold = vr.account.holds.get(reason="identity_bound")
    status = client.get(reverse("accounts:status")).content.decode()
    assert reverse("appeals:file", args=[hold.pk]) in status


def test_organization_subject_asks_for_a_valid_licence_code(owner, client):
    client.post(reverse("verification:start"))
    vr = VerificationRequest.objects.get(account=owner)
    bad = client.post(_step(vr.pk, "who"), {"subject": "organization",
                                            "licence_number": "91110000600037341X",
                                            "legal_representative": "张三"})
    assert bad.status_code == 200 and "check character" in bad.content.decode()
    ok = client.post(_step(vr.pk, "who"), {"subject": "organization",
                                           "licence_number": "91110000600037341L",
                                           "legal_representative": "张三"})
    assert ok.url == _step(vr.pk, "front")
    client.post(_step(vr.pk, "identity"), {
        "legal_name": "张三", "document_type": "cn_ric", "number": ID_NUMBERS[0]})
    vr.refresh_from_db()
    assert (vr.subject, vr.licence_number, vr.legal_representative) == (
        "organization", "91110000600037341L", "张三")


@pytest.mark.parametrize("done", ["who", "front", "identity", "back"])
def test_every_link_on_the_review_screen_with_missing_parts_resolves(owner, client, done):
    """The "finish them" link names a real wizard step, whatever is still missing."""
    vr = services.verification_start(acting_user=owner)
    steps = ["who", "front", "identity", "back"]
    for name in steps[: steps.index(done) + 1]:
        if name == "who":
            services.verification_set_subject(request=vr, acting_user=owner, subject="individual")
        elif name == "identity":
            services.verification_set_details(
                request=vr, acting_user=owner, subject="individual", legal_name="张三",
                document_type="cn_ric", number=ID_NUMBERS[0])
        else:
            services.verification_attach_image(request=vr, acting_user=owner, kind=name,
                                               upload=upload(card_jpeg(len(name))))
    vr.refresh_from_db()
    missing = selectors.missing_parts(vr)
    assert missing
    page = client.get(_step(vr.pk, "review")).content.decode()
    assert _step(vr.pk, missing[0]) in page
    links = set(re.findall(r'<a [^>]*href="([^"#]+)"', page))
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link
