"""An open appeal closes when its hold is lifted by another route."""

import pytest

from accounts import services as account_services
from accounts.models import Hold, Notice
from accounts.tasks import event_listener_run
from appeals import services
from appeals.models import Appeal
from tests.conftest import wait_for


def _lift(hold: Hold, reason=Hold.LiftReason.VERIFICATION_APPROVED) -> None:
    account_services.hold_lift(hold=hold, acting_user=None, lift_reason=reason, by_flow=True)


@pytest.mark.django_db
def test_lifting_the_hold_by_verification_closes_the_open_appeal(frozen_user, file_appeal):
    hold = frozen_user.holds.get()
    appeal = file_appeal(hold)
    _lift(hold)
    hold.refresh_from_db()
    assert services.appeals_close_for_lifted_hold(hold) == 1
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.CLOSED and appeal.closed_at is not None
    assert hold.events.filter(kind="appeal_closed", data__note="hold lifted").exists()
    assert Notice.objects.filter(account=frozen_user, url__endswith=f"/appeals/{appeal.pk}/").exists()
    # Running the listener again (a redelivered task) changes nothing.
    assert services.appeals_close_for_lifted_hold(hold) == 0


@pytest.mark.django_db
def test_an_accepted_appeal_is_not_touched(restricted_user, file_appeal, supervisor):
    hold = restricted_user.holds.get()
    appeal = file_appeal(hold)
    services.appeal_claim(appeal=appeal, acting_user=supervisor)
    services.appeal_decide(appeal=appeal, acting_user=supervisor, decision=Appeal.Decision.ACCEPTED, message="Sorry.")
    hold.refresh_from_db()
    assert services.appeals_close_for_lifted_hold(hold) == 0
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.ACCEPTED


@pytest.mark.django_db
def test_an_active_hold_closes_nothing(restricted_user, file_appeal):
    hold = restricted_user.holds.get()
    appeal = file_appeal(hold)
    assert services.appeals_close_for_lifted_hold(hold) == 0
    appeal.refresh_from_db()
    assert appeal.is_open


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_lift_listener_runs_on_the_worker(celery_worker, frozen_user, file_appeal):
    hold = frozen_user.holds.get()
    appeal = file_appeal(hold)
    _lift(hold, Hold.LiftReason.STAFF)
    wait_for(lambda: Appeal.objects.get(pk=appeal.pk).state == Appeal.State.CLOSED)
    # A duplicate delivery of the listener's task is harmless.
    lifted = hold.events.get(kind="hold_lifted")
    event_listener_run.delay("appeals.services.sweeps.appeals_close_on_hold_lifted", lifted.pk)
    event_listener_run.delay("appeals.services.sweeps.appeals_close_on_hold_lifted", lifted.pk)
    closing_notices = Notice.objects.filter(account=frozen_user, title__contains="申诉的限制")
    wait_for(lambda: closing_notices.exists())
    import time

    time.sleep(1)  # let the duplicates run
    assert hold.events.filter(kind="appeal_closed").count() == 1


@pytest.mark.django_db
def test_the_closing_notice_is_in_the_owners_language(frozen_user, file_appeal):
    from django.utils import translation

    frozen_user.language = "en"
    frozen_user.save(update_fields=["language"])
    hold = frozen_user.holds.get()
    appeal = file_appeal(hold)
    _lift(hold)
    hold.refresh_from_db()
    with translation.override("zh-hans"):  # the worker's default language
        services.appeals_close_for_lifted_hold(hold)
    notice = Notice.objects.get(account=frozen_user, url__endswith=f"/appeals/{appeal.pk}/",
                                title="The limit you appealed was lifted")
    assert notice.body.startswith("Your appeal is closed")
