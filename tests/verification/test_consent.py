"""A consent step of its own before the ID photos and before the camera, recorded as
an event; no URL skips it (issue 12, item 11)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import StatusEvent
from verification import services
from verification.models import VerificationImage, VerificationRequest

from .pictures import card_jpeg, frame_jpeg, upload

CONSENTED = StatusEvent.Kind.VERIFICATION_CONSENTED


def _step(pk: int, name: str) -> str:
    return reverse("verification:step", args=[pk, name])


@pytest.fixture
def draft(owner_client):
    client, owner = owner_client
    client.post(reverse("verification:start"))
    return VerificationRequest.objects.get(account=owner)


@pytest.fixture
def owner_client(client, make_account):
    owner = make_account(language="en")
    client.force_login(owner)
    return client, owner


def test_the_photo_step_first_asks_for_consent(draft, owner_client):
    client, _owner = owner_client
    page = client.get(_step(draft.pk, "front")).content.decode()
    assert 'data-testid="consent"' in page and 'data-scope="photos"' in page
    assert 'name="photo"' not in page


def test_a_photo_posted_without_consent_is_refused_and_nothing_is_stored(draft, owner_client):
    client, _owner = owner_client
    answer = client.post(_step(draft.pk, "front"), {"photo": upload(card_jpeg(3))})
    assert answer.status_code == 400
    assert not VerificationImage.objects.filter(request=draft).exists()
    assert not StatusEvent.objects.filter(kind=CONSENTED).exists()


def test_consent_is_recorded_once_as_an_event_then_the_step_shows(draft, owner_client):
    client, owner = owner_client
    for _twice in range(2):
        client.post(_step(draft.pk, "front"), {"consent": "photos"})
    events = StatusEvent.objects.filter(account=owner, kind=CONSENTED)
    assert events.count() == 1 and events.get().data == {"request": draft.pk,
                                                          "scope": "photos"}
    assert 'name="photo"' in client.get(_step(draft.pk, "front")).content.decode()
    # The photo consent does not cover the camera: it has its own.
    liveness = client.get(_step(draft.pk, "liveness")).content.decode()
    assert 'data-scope="liveness"' in liveness
    draft.refresh_from_db()
    assert draft.liveness_challenge == {}  # no challenge before the consent


def test_frames_sent_without_the_camera_consent_are_refused(draft, owner_client):
    client, _owner = owner_client
    answer = client.post(reverse("verification:liveness_frame", args=[draft.pk]),
                         {"frame": upload(frame_jpeg(1))})
    assert answer.status_code == 400 and answer.json()["code"] == "consent_missing"
    assert not VerificationImage.objects.filter(request=draft).exists()


def test_a_submission_without_consent_is_refused(make_request):
    vr = make_request()
    VerificationRequest.objects.filter(pk=vr.pk).update(liveness_consent_at=None)
    with pytest.raises(ValidationError) as caught:
        services.verification_submit(request=vr, acting_user=vr.account)
    assert caught.value.code == "consent_missing"
    vr.refresh_from_db()
    assert vr.state == "draft"


def test_the_consent_text_is_in_chinese_too(draft, owner_client, settings):
    client, _owner = owner_client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(_step(draft.pk, "front")).content.decode()
    assert "我同意，继续" in page
