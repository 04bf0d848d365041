"""Notices and their emails: a task run twice (late ack, redelivery) does no harm."""

import pytest
from django.core import mail

from accounts import services
from accounts.models import Hold, Notice, StatusEvent
from accounts.tasks import notify_email_notice, notify_hold_change

pytestmark = pytest.mark.django_db


def test_hold_notice_task_run_twice_makes_one_notice(active_user, place_hold):
    hold = place_hold(active_user, "content_violation")
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_PLACED, hold.pk)
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_PLACED, hold.pk)
    assert Notice.objects.filter(account=active_user).count() == 1


def test_a_second_run_queues_the_email_the_first_never_sent(
    active_user, django_capture_on_commit_callbacks
):
    # The first run made the notice, then died before its email was queued.
    first = services.notice_send(account=active_user, title="Hi", email=False, dedupe_key="k1")
    with django_capture_on_commit_callbacks() as queued:
        again = services.notice_send(account=active_user, title="Hi", dedupe_key="k1")
    assert again == first and len(queued) == 1  # the email task, queued on commit

    services.notice_claim_email(notice_id=first.pk)  # now it has gone out
    with django_capture_on_commit_callbacks() as queued:
        services.notice_send(account=active_user, title="Hi", dedupe_key="k1")
    assert queued == []
    assert Notice.objects.filter(dedupe_key="k1").count() == 1


def test_placing_and_lifting_make_two_different_notices(active_user, place_hold):
    hold = place_hold(active_user, "content_violation")
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_PLACED, hold.pk)
    notify_hold_change(active_user.pk, StatusEvent.Kind.HOLD_LIFTED, hold.pk)
    assert Notice.objects.filter(account=active_user).count() == 2


def test_email_task_run_twice_sends_one_email(active_user):
    notice = services.notice_send(account=active_user, title="Hello", email=False)
    notify_email_notice(notice.pk)
    notify_email_notice(notice.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [active_user.email]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_failed_send_gives_the_claim_back_for_a_retry(active_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    notice = services.notice_send(account=active_user, title="Hello", email=False)
    with pytest.raises(OSError):
        notify_email_notice.run(notice.pk)
    notice.refresh_from_db()
    assert notice.emailed_at is None
