"""The document checks, rule by rule, through a real Celery worker on Redis.

Each case is a complete request whose photos are generated (cards.py): a
good card with one thing wrong. The worker reads the photos (the prefill
task after upload, then the checks task after submission) and routes the
request; the test waits for the state and reads what was recorded.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import wait_for
from tests.support.verification import ID_NUMBERS
from verification import services
from verification.models import DocumentReading, VerificationImage, VerificationRequest

from . import cards
from .pictures import card_jpeg, frame_jpeg, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
State = VerificationRequest.State


def _decided(pk: int) -> VerificationRequest:
    wait_for(lambda: VerificationRequest.objects.get(pk=pk).state
             in (State.AUTO_REJECTED, State.IN_REVIEW), timeout=60)
    return VerificationRequest.objects.get(pk=pk)


def _check(vr: VerificationRequest, name: str):
    return vr.checks.get(name=name)


def test_good_cards_go_to_review_with_what_was_read_and_the_flattened_cards(
        celery_worker, make_request):
    vr = _decided(make_request(submit=True).pk)
    assert vr.state == State.IN_REVIEW
    assert _check(vr, "read_number").passed and _check(vr, "read_name").passed
    assert _check(vr, "front_face").passed and _check(vr, "validity").passed
    assert _check(vr, "liveness_face").passed
    likeness = _check(vr, "face_likeness").detail  # a hint only: the same astronaut both sides
    assert likeness["compared"] and likeness["likely_same_person"]
    crops = vr.images.filter(kind__in=["front_card", "back_card"])
    assert sorted(crops.values_list("kind", flat=True)) == ["back_card", "front_card"]
    front = DocumentReading.objects.get(image__request=vr, image__kind="front")
    assert front.fields["name"] == "张三" and front.number_masked == "1101**********002X"
    assert "number" not in front.data["fields"]  # the number is stored encrypted only
    assert ID_NUMBERS[0] not in str(front.data)


def _other_scene() -> bytes:
    """A photo of a desk with no card on it."""
    import random

    from PIL import Image

    pixels = cards.scene_background(random.Random(5), (1000, 750), "desk")
    return cards.jpeg(Image.fromarray(pixels.clip(0, 255).astype("uint8")))


def _gravel() -> bytes:
    from PIL import Image
    from skimage import data

    return cards.jpeg(Image.fromarray(data.gravel()).convert("RGB").resize((1000, 750)))


FIXABLE = {
    "no_card": (lambda: {"front": _other_scene()}, "could not find the card in the front photo"),
    "gravel": (lambda: {"front": _gravel()}, "could not find the card in the front photo"),
    "cut_off": (lambda: {"front": card_jpeg(31, center=(0.08, 0.5))}, "cut off at the edge"),
    "too_small": (lambda: {"front": card_jpeg(32, card_width=0.25)}, "too small in the front"),
    "too_dark": (lambda: {"back": card_jpeg(33, side="back", brightness=0.22)},
                 "back photo is too dark"),
    "glare_number": (lambda: {"front": card_jpeg(34, glare=0.09, glare_at=(0.6, 0.86))},
                     "reflects on the document number"),
    "blurred": (lambda: {"back": card_jpeg(35, side="back", blur=6)}, "back photo is blurred"),
    "no_face_on_card": (lambda: {"front": card_jpeg(36, face=False, card_width=0.72,
                                                    center=(0.5, 0.5))},
                        "could not see the portrait"),
    "wrong_side": (lambda: {"front": card_jpeg(37, side="back")}, "shows the other side"),
}


@pytest.mark.parametrize("case", sorted(FIXABLE))
def test_fixable_problem_is_auto_rejected_with_its_own_message(celery_worker, make_request,
                                                              case):
    photos, message = FIXABLE[case]
    vr = _decided(make_request(submit=True, **photos()).pk)
    assert vr.state == State.AUTO_REJECTED, list(vr.checks.filter(passed=False).values(
        "name", "code", "detail"))
    assert message in vr.decision_message
    assert "blurred" not in vr.decision_message or case == "blurred"
    assert vr.decision_reason == "photo_unclear"


def test_typed_number_that_differs_from_the_card_is_rejected_naming_the_field(
        celery_worker, make_request):
    card = card_jpeg(40, number=ID_NUMBERS[1])  # the card says one number, the owner typed another
    vr = _decided(make_request(submit=True, number=ID_NUMBERS[0], front=card).pk)
    assert vr.state == State.AUTO_REJECTED
    assert vr.decision_reason == "details_mismatch"
    assert "“Document number” field" in vr.decision_message
    assert _check(vr, "read_number").detail == {"field": "number"}


def test_expired_document_is_rejected_as_expired(celery_worker, make_request):
    back = card_jpeg(41, side="back", identity={"valid_from": date(2005, 3, 1),
                                                "valid_until": date(2015, 3, 1)})
    vr = _decided(make_request(submit=True, back=back).pk)
    assert vr.state == State.AUTO_REJECTED
    assert vr.decision_reason == "document_expired"
    assert "expired" in vr.decision_message
    assert _check(vr, "validity").detail["valid_until"] == "2015-03-01"


def test_name_that_differs_goes_to_a_person_with_both_names(celery_worker, make_request):
    card = card_jpeg(42, name="王小明")
    vr = _decided(make_request(submit=True, name="王晓明", front=card).pk)
    assert vr.state == State.IN_REVIEW
    check = _check(vr, "read_name")
    assert not check.passed and check.detail == {"read": "王小明", "typed": "王晓明"}


def test_birth_date_on_the_card_unlike_the_number_goes_to_a_person(celery_worker, make_request):
    card = card_jpeg(43, identity={"birth": date(1960, 5, 6)})  # number says 1949-12-31
    vr = _decided(make_request(submit=True, front=card).pk)
    assert vr.state == State.IN_REVIEW
    check = _check(vr, "read_birth_date")
    assert not check.passed
    assert check.detail == {"printed": "1960-05-06", "in_number": "1949-12-31"}


def test_liveness_frames_without_a_face_are_auto_rejected(celery_worker, make_account):
    account = make_account(language="en")
    vr = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=vr, acting_user=account, scope=scope)
    services.verification_set_details(request=vr, acting_user=account, subject="individual",
                                      legal_name="张三", document_type="cn_ric",
                                      number=ID_NUMBERS[0])
    for kind, seed in (("front", 50), ("back", 51)):
        services.verification_attach_image(request=vr, acting_user=account, kind=kind,
                                           upload=upload(card_jpeg(seed, side=kind)))
    services.verification_liveness_start(request=vr, acting_user=account)
    for i in range(3):
        services.verification_liveness_add_frame(request=vr, acting_user=account,
                                                 upload=upload(frame_jpeg(i, face=False)))
    services.verification_submit(request=vr, acting_user=account)
    vr = _decided(vr.pk)
    assert vr.state == State.AUTO_REJECTED
    assert "could not see your face" in vr.decision_message
    assert _check(vr, "liveness_face").detail["with_face"] == 0


def test_an_ocr_engine_that_raises_sends_the_case_to_a_person_with_the_error(
        celery_worker, make_request, monkeypatch):
    from verification.document import ocr

    def broken(image):
        raise RuntimeError("onnxruntime session crashed")

    monkeypatch.setattr(ocr, "read", broken)  # the worker runs in this process
    vr = _decided(make_request(submit=True).pk)
    assert vr.state == State.IN_REVIEW
    failed = {c.name: c.detail for c in vr.checks.filter(passed=False)}
    assert "onnxruntime session crashed" in failed["front_read"]["error"]
    assert "onnxruntime session crashed" in failed["back_read"]["error"]


def test_a_reading_cut_short_by_a_killed_worker_is_not_retried_forever(
        celery_worker, make_request, settings):
    """A killed worker leaves the reading claimed; after the attempts it goes to a person."""
    vr = make_request()
    front = vr.images.get(kind="front")
    wait_for(lambda: DocumentReading.objects.filter(image=front).exclude(
        state="reading").exists(), timeout=60)  # the prefill finished: now "kill" a reread
    DocumentReading.objects.filter(image=front).update(
        state="reading", attempts=settings.PORTAL_DOCUMENT_READ_MAX_ATTEMPTS)
    services.verification_submit(request=vr, acting_user=vr.account)
    vr = _decided(vr.pk)
    assert vr.state == State.IN_REVIEW
    assert "never finished" in _check(vr, "front_read").detail["error"]


def test_prefill_reads_the_front_and_the_details_step_shows_it(celery_worker, make_account,
                                                              client):
    account = make_account(language="en")
    client.force_login(account)
    client.post(reverse("verification:start"))
    vr = VerificationRequest.objects.get(account=account)
    client.post(reverse("verification:step", args=[vr.pk, "who"]), {"subject": "individual"})
    client.post(reverse("verification:step", args=[vr.pk, "front"]), {"consent": "photos"})
    client.post(reverse("verification:step", args=[vr.pk, "front"]),
                {"photo": upload(card_jpeg(60, name="李雷", number=ID_NUMBERS[2]))})
    front = VerificationImage.objects.get(request=vr, kind="front")
    wait_for(lambda: DocumentReading.objects.filter(image=front, state="done").exists(),
             timeout=60)
    page = client.get(reverse("verification:step", args=[vr.pk, "identity"])).content.decode()
    assert 'data-testid="prefill-name">李雷<' in page
    assert f'value="{ID_NUMBERS[2]}"' in page and 'value="李雷"' in page
