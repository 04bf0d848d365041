"""Whole flows with a real Celery worker on Redis: triage, notices by email, beat sweeps."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Hold, Notice, StatusEvent
from appeals import services
from appeals.models import Appeal
from appeals.tasks import appeals_close_abandoned, appeals_escalate_overdue, appeals_remind_silent
from tests.appeals.conftest import clean_image
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def backdate(appeal: Appeal, **fields) -> None:
    """Move an appeal's clock fields into the past, as time passing would."""
    Appeal.objects.filter(pk=appeal.pk).update(**fields)


def mailed(address: str, count: int):
    return lambda: len([m for m in mail.outbox if address in m.to]) >= count


def test_file_ask_reply_accept_lifts_hold_and_notifies(celery_worker, restricted_user, officer,
                                                       file_appeal):
    hold = restricted_user.holds.get()
    appeal = file_appeal(hold, files=[clean_image()])
    # Triage runs on the worker: the only officer is assigned.
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).assignee_id == officer.pk)

    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Send the original post.")
    wait_for(mailed(restricted_user.email, 2))  # filed + asked
    services.appeal_user_reply(appeal=appeal, acting_user=restricted_user, body="Here.",
                               files=[clean_image("post.jpg")])
    assert Appeal.objects.get(pk=appeal.pk).state == "in_review"
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="accepted",
                           message="You were right.")

    hold.refresh_from_db()
    restricted_user.refresh_from_db()
    assert hold.lift_reason == "appeal_accepted"
    assert restricted_user.status == "active" and restricted_user.blocked_features == []
    # Accepted notice (ours) and hold-lifted notice (the accounts worker task), both emailed.
    wait_for(lambda: Notice.objects.filter(account=restricted_user,
                                           url=reverse("appeals:detail", args=[appeal.pk]))
             .count() == 3)
    wait_for(lambda: Notice.objects.filter(account=restricted_user,
                                           url=reverse("accounts:status")).count() >= 2)
    wait_for(mailed(restricted_user.email, 5))
    assert any("You were right." in m.body for m in mail.outbox)


def test_beat_escalates_overdue_appeals_to_supervisors(celery_worker, frozen_user, officer,
                                                       supervisor, file_appeal, place_hold):
    appeal = file_appeal(frozen_user.holds.get())
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).triaged_at)
    backdate(appeal, sla_due_at=timezone.now() - timedelta(minutes=1))

    appeals_escalate_overdue.delay()

    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).escalated_at)
    assert Appeal.objects.get(pk=appeal.pk).assignee_id == supervisor.pk
    assert StatusEvent.objects.filter(kind="appeal_escalated", data__appeal=appeal.pk).count() == 1
    wait_for(lambda: Notice.objects.filter(account=supervisor).exists())
    wait_for(mailed(supervisor.email, 1))
    # Running it again changes nothing.
    appeals_escalate_overdue.delay()
    marker = file_appeal(place_hold(frozen_user, "theft_risk"))
    backdate(marker, sla_due_at=timezone.now() - timedelta(minutes=1))
    appeals_escalate_overdue.delay()
    wait_for(lambda: Appeal.objects.get(pk=marker.pk).escalated_at)
    assert StatusEvent.objects.filter(kind="appeal_escalated", data__appeal=appeal.pk).count() == 1


def test_beat_reminds_then_closes_an_unanswered_appeal(celery_worker, restricted_user, officer,
                                                       file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Which post?")
    backdate(appeal, awaiting_since=timezone.now() - timedelta(days=3, minutes=1))

    appeals_remind_silent.delay()
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).reminded_at)
    assert StatusEvent.objects.filter(kind="appeal_reminded", data__appeal=appeal.pk).count() == 1
    appeals_close_abandoned.delay()  # 3 days is not 14: stays open
    appeals_remind_silent.delay()  # already reminded: no second reminder

    backdate(appeal, awaiting_since=timezone.now() - timedelta(days=14, minutes=1))
    appeals_close_abandoned.delay()
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).state == "closed")
    assert StatusEvent.objects.filter(kind="appeal_reminded", data__appeal=appeal.pk).count() == 1
    assert StatusEvent.objects.filter(kind="appeal_closed", data__appeal=appeal.pk).count() == 1
    detail = reverse("appeals:detail", args=[appeal.pk])
    # filed, asked, reminded, closed: each told to the owner.
    wait_for(lambda: Notice.objects.filter(account=restricted_user, url=detail).count() == 4)
    assert restricted_user.holds.get().is_active  # closing never lifts the hold


def test_reject_then_reappeal_after_the_cooldown(celery_worker, settings, restricted_user,
                                                 officer, file_appeal):
    hold = restricted_user.holds.get()
    first = file_appeal(hold)
    wait_for(lambda: Appeal.objects.get(pk=first.pk).triaged_at)
    services.appeal_decide(appeal=first, acting_user=officer, decision="rejected",
                           message="The video copies another channel.")
    wait_for(lambda: any("copies another channel" in m.body for m in mail.outbox))
    assert Hold.objects.get(pk=hold.pk).is_active  # rejection keeps the hold

    decided = Appeal.objects.get(pk=first.pk).decided_at
    with pytest.raises(ValidationError) as error:
        file_appeal(hold, now=decided + settings.PORTAL_APPEAL_COOLDOWN - timedelta(minutes=1))
    assert error.value.code == "cooldown"
    assert Appeal.objects.filter(hold=hold).count() == 1

    second = file_appeal(hold, now=decided + settings.PORTAL_APPEAL_COOLDOWN,
                         statement="New: the other channel copied me; dates attached.")
    wait_for(lambda: Appeal.objects.get(pk=second.pk).assignee_id == officer.pk)
    assert Appeal.objects.get(pk=second.pk).state == "submitted"


def test_beat_triages_appeals_whose_task_was_lost(celery_worker, restricted_user, officer,
                                                  file_appeal):
    from appeals.tasks import appeals_triage_pending

    appeal = file_appeal(restricted_user.holds.get())
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).triaged_at)
    # Simulate a lost triage message on an appeal filed ten minutes ago.
    backdate(appeal, triaged_at=None, assignee=None,
             created_at=timezone.now() - timedelta(minutes=10))
    appeals_triage_pending.delay()
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).triaged_at)
    assert Appeal.objects.get(pk=appeal.pk).assignee_id == officer.pk
