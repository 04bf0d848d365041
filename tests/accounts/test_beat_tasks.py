"""Escalation and expiry, run by the beat tasks through a real worker on Redis."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Hold, Notice
from accounts.tasks import holds_escalate_overdue, holds_lift_expired
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def backdate(hold: Hold, **fields) -> None:
    """Move a hold's deadline or expiry into the past (as time passing would).

    Holds are written by services only; the service refuses past dates on
    placement by design, so a test simulates elapsed time here.
    """
    Hold.objects.filter(pk=hold.pk).update(**fields)


def test_beat_escalates_overdue_real_name_hold(celery_worker, make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "realname_missing", deadline=timezone.now() + timedelta(days=1))
    backdate(hold, deadline=timezone.now() - timedelta(minutes=1))

    holds_escalate_overdue.delay()

    wait_for(lambda: Hold.objects.get(pk=hold.pk).escalated_at)
    account.refresh_from_db()
    assert account.status == "frozen"
    wait_for(
        lambda: Notice.objects.filter(account=account, title__contains="截止").exists()
        or Notice.objects.filter(account=account, title__icontains="deadline").exists()
    )


def test_beat_lifts_expired_hold_and_notifies_by_email(celery_worker, make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "password_failures", expires_at=timezone.now() + timedelta(hours=1))
    backdate(hold, expires_at=timezone.now() - timedelta(seconds=1))

    holds_lift_expired.delay()

    wait_for(lambda: Hold.objects.get(pk=hold.pk).lifted_at)
    account.refresh_from_db()
    assert account.status == "active"
    assert Hold.objects.get(pk=hold.pk).lift_reason == "expired"
    wait_for(lambda: any(account.email in m.to for m in mail.outbox))


def test_beat_leaves_holds_that_are_not_due(celery_worker, make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "password_failures", expires_at=timezone.now() + timedelta(hours=1))
    holds_lift_expired.delay()
    marker = place_hold(
        make_account(), "password_failures", expires_at=timezone.now() + timedelta(hours=1)
    )
    backdate(marker, expires_at=timezone.now() - timedelta(seconds=1))
    holds_lift_expired.delay()  # runs after the first one on the solo worker
    wait_for(lambda: Hold.objects.get(pk=marker.pk).lifted_at)
    assert Hold.objects.get(pk=hold.pk).is_active
