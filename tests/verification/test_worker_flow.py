"""The whole path through a real Celery worker on Redis (queue ``checks``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Hold, Notice
from tests.conftest import wait_for
from verification import services
from verification.models import VerificationRequest

from .pictures import card_jpeg

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
State = VerificationRequest.State


def _state(pk):
    return VerificationRequest.objects.get(pk=pk).state


def test_blurred_photo_is_auto_rejected_by_the_worker(celery_worker, make_request, make_account,
                                                      place_hold):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    vr = make_request(account, front=card_jpeg(77, blur=5), submit=True)
    wait_for(lambda: _state(vr.pk) == State.AUTO_REJECTED)
    vr.refresh_from_db()
    assert "front photo is blurred" in vr.decision_message
    assert vr.checks.get(name="front_sharpness").passed is False
    assert Notice.objects.filter(account=account, title__icontains="another try").exists()
    assert Hold.objects.active().filter(account=account).exists()  # nothing lifted


def test_submission_review_and_approval_lift_holds_and_status_shows_active(
    celery_worker, make_request, make_account, place_hold, reviewer, client
):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    place_hold(account, "inactivity")
    vr = make_request(account, submit=True)
    wait_for(lambda: _state(vr.pk) == State.IN_REVIEW)
    services.verification_claim(request=vr, acting_user=reviewer)
    services.verification_approve(request=vr, acting_user=reviewer)
    account.refresh_from_db()
    assert account.status == "active"
    assert not Hold.objects.active().filter(account=account).exists()
    client.force_login(account)
    page = client.get(reverse("accounts:status")).content.decode()
    assert 'data-testid="all-clear"' in page
    # The hold-lifted notices are sent by the worker on the notify queue.
    wait_for(lambda: Notice.objects.filter(account=account, title__icontains="lifted").count() == 2)


def test_sweeper_resends_a_lost_check(celery_worker, make_request):
    from datetime import timedelta

    from django.utils import timezone

    vr = make_request()
    # Submitted long ago but its task never reached the broker.
    VerificationRequest.objects.filter(pk=vr.pk).update(
        state=State.SUBMITTED, submitted_at=timezone.now() - timedelta(hours=1))
    assert services.verification_requeue_stuck() == 1
    wait_for(lambda: _state(vr.pk) == State.IN_REVIEW)
