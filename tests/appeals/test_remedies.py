"""Several-remedy holds reach the staff queue when the owner's part is done, and
"this wasn't me" starts the account-theft path."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts import services as account_services
from accounts.models import Hold, StatusEvent
from appeals import services
from appeals.models import Appeal, Message

pytestmark = pytest.mark.django_db
Kind = StatusEvent.Kind


def _verified(account):
    return account_services.event_record(account=account, kind=Kind.VERIFICATION_APPROVED,
                                         acting_user=None, data={"request": 0})


def _secured(account, hold):
    account.set_password("a brand new Pa55!")
    account.save()
    account_services.account_password_changed(account=account)
    return account_services.account_secure(account=account, hold=hold, keep_session_key=None,
                                           reviewed_sign_ins=True)


def test_a_theft_hold_reaches_staff_only_when_every_step_is_done(make_account, place_hold,
                                                                 officer):
    account = make_account()
    hold = place_hold(account, "theft_risk")
    assert services.remedies_review_if_done(_verified(account)) == 0
    assert not Appeal.objects.exists() and hold.is_active  # one step is not enough
    assert services.remedies_review_if_done(_secured(account, hold)) == 1
    review = Appeal.objects.get()
    assert (review.kind, review.hold, review.state) == ("remedies", hold, "submitted")
    assert review.messages.get().author_role == Message.Author.SYSTEM
    assert StatusEvent.objects.filter(account=account, kind="remedies_completed").exists()
    # Running again (a redelivered listener task) opens nothing new.
    assert services.remedies_review_if_done(_secured(account, hold)) == 1
    assert Appeal.objects.count() == 1
    services.appeal_decide(appeal=review, acting_user=officer, decision="accepted",
                           message="Thank you: everything checks out.")
    hold.refresh_from_db()
    assert hold.lift_reason == Hold.LiftReason.REMEDIES_COMPLETED
    assert StatusEvent.objects.filter(account=account, kind="remedies_accepted").exists()


def test_a_step_done_before_the_hold_does_not_count(make_account, place_hold):
    account = make_account()
    _verified(account)
    hold = place_hold(account, "theft_risk")
    assert services.remedies_review_if_done(_secured(account, hold)) == 0


def test_an_open_appeal_on_the_hold_is_told_instead_of_a_second_case(make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "payment_anomaly")  # verify + appeal
    appeal = services.appeal_file(account=account, hold=hold, category="wrong_decision",
                                  statement="I paid my own sister.", acting_user=account)
    services.remedies_review_if_done(_verified(account))
    assert Appeal.objects.count() == 1
    assert appeal.messages.filter(author_role=Message.Author.SYSTEM).count() == 1
    services.remedies_review_if_done(_verified(account))
    assert appeal.messages.filter(author_role=Message.Author.SYSTEM).count() == 1


def test_this_wasnt_me_places_the_theft_hold_and_opens_a_not_me_appeal(client, frozen_user):
    suspicious = frozen_user.holds.get()
    client.force_login(frozen_user)
    response = client.post(f"/appeals/not-me/{suspicious.pk}/",
                           {"statement": "I was asleep at home."})
    assert response.status_code == 302
    theft = Hold.objects.get(account=frozen_user, reason="theft_risk")
    assert theft.is_active and theft.source == Hold.Source.SYSTEM
    appeal = Appeal.objects.get(hold=theft)
    assert (appeal.kind, appeal.category) == ("appeal", "not_me")
    assert "I was asleep at home." in appeal.statement
    assert StatusEvent.objects.filter(account=frozen_user, kind="takeover_reported",
                                      hold=suspicious).exists()
    # Twice: the same hold and the same case.
    again = services.takeover_report(account=frozen_user, hold=suspicious, keep_session_key=None)
    assert again == appeal and Hold.objects.filter(reason="theft_risk").count() == 1


def test_this_wasnt_me_is_only_for_sign_in_holds(restricted_user):
    with pytest.raises(ValidationError) as error:
        services.takeover_report(account=restricted_user, hold=restricted_user.holds.get(),
                                 keep_session_key=None)
    assert error.value.code == "not_me_not_offered"
    assert not Hold.objects.filter(reason="theft_risk").exists()


def test_the_listener_hears_every_remedy_event():
    from accounts import listeners

    name = "appeals.services.remedies.remedies_review_if_done"
    for kind in (Kind.VERIFICATION_APPROVED, Kind.ACCOUNT_SECURED, Kind.APPEAL_FILED):
        assert name in listeners.listeners_for(kind)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_review_opens_through_a_real_worker(celery_worker, make_account, place_hold):
    from tests.conftest import wait_for

    account = make_account()
    hold = place_hold(account, "theft_risk")
    _verified(account)
    _secured(account, hold)
    review = wait_for(lambda: Appeal.objects.filter(hold=hold, kind="remedies").first())
    wait_for(lambda: Appeal.objects.get(pk=review.pk).triaged_at)  # in the queue, triaged
    assert Appeal.objects.filter(hold=hold).count() == 1
