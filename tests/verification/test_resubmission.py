"""Resubmission keeps what passed; a reviewer asks for one specific re-upload
(issue 12, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from tests.support.verification import ID_NUMBERS
from verification import resubmission, selectors, services
from verification.models import VerificationImage, VerificationRequest

from .pictures import card_jpeg, upload

Part = VerificationRequest.Part


# --- The rule, without a database -------------------------------------------------
@pytest.mark.parametrize(("failed", "parts"), [
    (["back_sharpness"], ["back"]),
    (["front_card", "front_glare"], ["front"]),
    (["liveness"], ["liveness"]),
    (["liveness_face"], ["liveness"]),
    (["read_number"], ["identity"]),
    (["validity"], ["identity", "front", "back"]),
    (["something_unknown"], ["identity", "front", "back", "liveness"]),
])
def test_failed_checks_name_the_parts_to_redo(failed, parts):
    assert resubmission.parts_for_checks(failed) == parts


def test_reviewer_reasons_name_the_parts_to_redo():
    assert resubmission.parts_for_reason("photo_unclear") == ["front", "back"]
    assert resubmission.parts_for_reason("face_mismatch") == ["liveness"]
    assert resubmission.parts_for_reason("other") == ["identity", "front", "back", "liveness"]


# --- A blurred back photo: only the back is asked again ----------------------------
@pytest.fixture
def blurred_back(make_request):
    vr = make_request(back=card_jpeg(35, side="back", blur=6), submit=True)
    services.verification_run_checks(request_id=vr.pk)
    vr.refresh_from_db()
    assert vr.state == "auto_rejected", list(vr.checks.filter(passed=False).values("name"))
    return vr


def test_a_blurred_back_asks_only_for_the_back(blurred_back):
    assert blurred_back.redo_parts == ["back"]


def test_the_result_page_introduces_the_parts_to_redo_once(blurred_back, client):
    client.force_login(blurred_back.account)
    page = client.get(reverse("verification:progress", args=[blurred_back.pk])).content.decode()
    assert page.count('data-testid="redo-parts"') == 1
    assert "Some things need to be redone" not in page  # the list's own line says it


def test_retry_keeps_details_front_and_liveness(blurred_back):
    draft = services.verification_start(acting_user=blurred_back.account)
    assert draft.pk != blurred_back.pk and draft.carried_from == blurred_back
    assert draft.number_encrypted == blurred_back.number_encrypted and draft.subject
    kinds = sorted(draft.images.values_list("kind", flat=True))
    assert kinds == ["frame"] * 3 + ["front"]
    assert draft.liveness_challenge == blurred_back.liveness_challenge
    assert selectors.missing_parts(draft) == ["back"]
    assert selectors.next_step(draft) == "back"
    copied = draft.images.get(kind="front")
    original = blurred_back.images.get(kind="front")
    assert copied.name != original.name and copied.phash == original.phash


def test_retake_only_the_back_then_approved(blurred_back, make_account, reviewer, client):
    account = blurred_back.account
    client.force_login(account)
    client.post(reverse("verification:start"))
    draft = VerificationRequest.objects.get(account=account, state="draft")
    page = client.get(reverse("verification:step", args=[draft.pk, "back"]))
    assert 'data-testid="redo-notice"' in page.content.decode()
    sent = client.post(reverse("verification:step", args=[draft.pk, "back"]),
                       {"photo": upload(card_jpeg(account.pk * 10 + 1, side="back"))})
    assert sent.url == reverse("verification:step", args=[draft.pk, "review"])
    client.post(reverse("verification:step", args=[draft.pk, "review"]))
    services.verification_run_checks(request_id=draft.pk)
    draft.refresh_from_db()
    assert draft.state == "in_review", list(draft.checks.filter(passed=False).values("name"))
    services.verification_approve(request=draft, acting_user=reviewer)
    account.refresh_from_db()
    assert account.identity_binding.request_id == draft.pk


def test_a_liveness_older_than_the_window_is_asked_again(blurred_back, settings):
    settings.PORTAL_VERIFICATION_LIVENESS_KEPT_FOR = timedelta(hours=1)
    later = timezone.now() + timedelta(hours=2)
    draft = services.verification_start(acting_user=blurred_back.account, now=later)
    assert draft.redo_parts == ["back", "liveness"]
    assert not draft.images.filter(kind=VerificationImage.Kind.FRAME).exists()
    assert selectors.missing_parts(draft) == ["back", "liveness"]


def test_going_back_to_the_details_keeps_the_saved_number(make_request, client):
    vr = make_request()
    client.force_login(vr.account)
    url = reverse("verification:step", args=[vr.pk, "identity"])
    page = client.get(url).content.decode()
    assert vr.number_masked in page
    client.post(url, {"legal_name": "张三", "document_type": "cn_ric", "number": ""})
    vr.refresh_from_db()
    assert vr.number_masked and selectors.missing_parts(vr) == []


# --- The reviewer's one re-upload ------------------------------------------------
def test_reviewer_asks_for_the_liveness_again_and_the_card_says_so(in_review, reviewer, client,
                                                                   make_account, place_hold):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    vr = in_review(account)
    services.verification_request_reupload(request=vr, acting_user=reviewer, part="liveness",
                                           message="Your face was out of the frame.")
    vr.refresh_from_db()
    assert vr.state == "rejected" and vr.decision_reason == "reupload"
    assert vr.redo_parts == ["liveness"]
    assert StatusEvent.objects.filter(account=vr.account,
                                      kind=StatusEvent.Kind.VERIFICATION_REUPLOAD_ASKED).exists()
    client.force_login(vr.account)
    status = client.get(reverse("accounts:status")).content.decode()
    assert "Staff ask you to take this again: The liveness check" in status
    assert "Your face was out of the frame." in status
    draft = services.verification_start(acting_user=vr.account)
    assert draft.redo_parts == ["liveness"] and selectors.next_step(draft) == "liveness"


@pytest.mark.parametrize(("part", "message", "code"), [
    ("identity", "x", "unknown_part"),
    ("passport_page", "x", "unknown_part"),
    ("front", "   ", "message_missing"),
])
def test_a_forged_reupload_request_is_refused_and_writes_nothing(in_review, reviewer, part,
                                                                  message, code):
    vr = in_review()
    events = StatusEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.verification_request_reupload(request=vr, acting_user=reviewer, part=part,
                                               message=message)
    assert caught.value.code == code
    vr.refresh_from_db()
    assert vr.state == "in_review" and vr.redo_parts == []
    assert StatusEvent.objects.count() == events


def test_forged_reupload_post_in_admin_is_an_error_and_writes_nothing(in_review, reviewer,
                                                                        client):
    vr = in_review()
    client.force_login(reviewer)
    url = reverse("admin:verification_verificationrequest_reupload", args=[vr.pk])
    answer = client.post(url, {"part": "identity", "message": "x"}, follow=True)
    assert "Select a valid choice" in answer.content.decode()
    vr.refresh_from_db()
    assert vr.state == "in_review"
    done = client.post(url, {"part": "front", "message": "Glare on the number."})
    assert done.status_code == 302
    vr.refresh_from_db()
    assert vr.redo_parts == ["front"] and vr.decision_message == "Glare on the number."


def test_a_reupload_on_a_decided_case_is_refused(in_review, reviewer):
    vr = in_review()
    services.verification_approve(request=vr, acting_user=reviewer)
    with pytest.raises(ValidationError) as caught:
        services.verification_request_reupload(request=vr, acting_user=reviewer, part="front",
                                               message="x")
    assert caught.value.code == "already_decided"


def test_the_wizard_asks_for_the_id_number_only_once_after_identity_bound(in_review, reviewer,
                                                                           make_request):
    services.verification_approve(request=in_review(), acting_user=reviewer)
    attempt = make_request(number=ID_NUMBERS[0], submit=True)
    services.verification_run_checks(request_id=attempt.pk)
    draft = services.verification_start(acting_user=attempt.account)
    assert draft.number_encrypted == "" and selectors.next_step(draft) == "front"
    assert draft.images.filter(kind="frame").count() == 3
