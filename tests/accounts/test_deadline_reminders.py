"""Reminders before a deadline escalates a hold: PORTAL_DEADLINE_WARNING before and one
day before, a notice and an email each, once, in the owner's language — sent by the
beat task through a real worker."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Hold, Notice, StatusEvent
from accounts.services.reminders import FINAL, WARNING, reminder_due
from accounts.tasks import holds_remind_deadlines
from tests.conftest import wait_for


def test_which_reminder_is_due(settings):
    settings.PORTAL_DEADLINE_WARNING = timedelta(days=3)
    now = timezone.now()
    assert reminder_due(now + timedelta(days=4), now) is None
    assert reminder_due(now + timedelta(days=2, hours=23), now) == WARNING
    assert reminder_due(now + timedelta(hours=23), now) == FINAL
    assert reminder_due(now - timedelta(minutes=1), now) is None


def test_the_beat_task_is_scheduled(settings):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "accounts.tasks.holds_remind_deadlines" in entries


def _move_deadline(hold: Hold, left: timedelta) -> None:
    """Time passes: the deadline comes closer (holds take only future deadlines)."""
    Hold.objects.filter(pk=hold.pk).update(deadline=timezone.now() + left)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_each_reminder_is_sent_once_through_a_real_worker(celery_worker, make_account,
                                                          place_hold, settings):
    owner = make_account(language="en")
    hold = place_hold(owner, "realname_missing", deadline=timezone.now() + timedelta(days=7))
    holds_remind_deadlines.delay()
    holds_remind_deadlines.delay()
    time.sleep(1)
    assert not Notice.objects.filter(account=owner).exclude(dedupe_key__startswith="hold:").exists()

    _move_deadline(hold, settings.PORTAL_DEADLINE_WARNING - timedelta(hours=1))
    holds_remind_deadlines.delay()
    holds_remind_deadlines.delay()  # beat fired twice: still one reminder
    wait_for(lambda: Notice.objects.filter(dedupe_key=f"hold-deadline:{hold.pk}:warning",
                                           emailed_at__isnull=False).exists())
    _move_deadline(hold, timedelta(hours=20))
    holds_remind_deadlines.delay()
    holds_remind_deadlines.delay()
    wait_for(lambda: Notice.objects.filter(dedupe_key=f"hold-deadline:{hold.pk}:final",
                                           emailed_at__isnull=False).exists())
    time.sleep(1)  # let the duplicates run

    reminders = Notice.objects.filter(account=owner, dedupe_key__startswith="hold-deadline:")
    assert reminders.count() == 2
    assert StatusEvent.objects.filter(hold=hold, kind="deadline_reminded").count() == 2
    emails = [m for m in mail.outbox if m.subject.startswith(("Reminder", "Last day"))]
    assert len(emails) == 2 and all(m.to == [owner.email] for m in emails)
    assert emails[0].subject.startswith("Reminder: act by")
    assert emails[1].subject == "Last day to act: Real-name verification missing or incomplete"
    assert "the account will be frozen" in emails[1].body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_no_reminder_for_an_escalated_or_lifted_hold(celery_worker, make_account, place_hold):
    from accounts import services

    owner = make_account()
    lifted = place_hold(owner, "realname_missing", deadline=timezone.now() + timedelta(days=7))
    services.hold_lift(hold=lifted, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    _move_deadline(lifted, timedelta(hours=5))
    marker = place_hold(make_account(), "realname_missing",
                        deadline=timezone.now() + timedelta(days=7))
    _move_deadline(marker, timedelta(hours=5))
    holds_remind_deadlines.delay()
    wait_for(lambda: Notice.objects.filter(dedupe_key=f"hold-deadline:{marker.pk}:final").exists())
    assert not Notice.objects.filter(dedupe_key__startswith=f"hold-deadline:{lifted.pk}:").exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_firing_every_second_sends_each_reminder_once(
        celery_worker, make_account, place_hold, settings, tmp_path):
    """``celery beat`` as its own process (RedBeat on the test broker, a key prefix of
    this test's) fires the reminders every second; the in-process worker runs them."""
    from tests.support.processes import Process, portal_env

    owner = make_account(language="zh-hans")
    hold = place_hold(owner, "realname_missing", deadline=timezone.now() + timedelta(days=7))
    _move_deadline(hold, settings.PORTAL_DEADLINE_WARNING - timedelta(hours=1))
    beat = Process("beat", [
        sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "INFO",
        "-s", str(tmp_path / "celerybeat-schedule"),
    ], portal_env(DJANGO_SETTINGS_MODULE="tests.support.beat_settings",
                  CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
                  CELERY_REDBEAT_KEY_PREFIX=f"test-beat-{tmp_path.name}"), tmp_path).start()
    try:
        warning = f"hold-deadline:{hold.pk}:warning"
        wait_for(lambda: Notice.objects.filter(dedupe_key=warning, emailed_at__isnull=False)
                 .exists(), timeout=60)
        _move_deadline(hold, timedelta(hours=20))
        final = f"hold-deadline:{hold.pk}:final"
        wait_for(lambda: Notice.objects.filter(dedupe_key=final, emailed_at__isnull=False)
                 .exists(), timeout=60)
        time.sleep(4)  # four more firings
        fired = beat.log().count("Scheduler: Sending due task holds-remind-deadlines")
    finally:
        beat.stop()
        _forget_schedule(settings.CELERY_BROKER_URL, f"test-beat-{tmp_path.name}")
    assert fired >= 4, beat.log()[-2000:]
    assert Notice.objects.filter(account=owner, dedupe_key__startswith="hold-deadline:").count() == 2
    assert StatusEvent.objects.filter(hold=hold, kind="deadline_reminded").count() == 2
    reminders = [m for m in mail.outbox if m.to == [owner.email]
                 and m.subject.startswith(("提醒", "最后一天", "Reminder", "Last day"))]
    assert len(reminders) == 2, [m.subject for m in mail.outbox]


def _forget_schedule(broker_url: str, prefix: str) -> None:
    """Drop the schedule and lock RedBeat kept in the broker's Redis for this test."""
    import redis

    client = redis.Redis.from_url(broker_url)
    for key in client.scan_iter(match=prefix + "*", count=500):
        client.delete(key)
