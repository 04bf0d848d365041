"""Concurrent changes to one account never leave a stale derived status.

Each thread has its own PostgreSQL connection, so the account row lock in
the services is what serialises them.
"""

import pytest

from accounts import services
from accounts.models import Account, Hold
from accounts.status import derive_status
from tests.conftest import errors_of, run_together

pytestmark = [pytest.mark.django_db(transaction=True)]


def assert_status_matches_holds(account: Account) -> None:
    account.refresh_from_db()
    holds = Hold.objects.active().filter(account=account).values_list("level", "blocked_features")
    derived = derive_status(holds)
    assert (account.status, account.blocked_features) == (derived.status, derived.blocked_features)


def test_concurrent_placements_each_count(make_account):
    account = make_account()
    reasons = ["content_violation", "suspicious_signin", "realname_outdated", "payment_anomaly"] * 3
    errors = errors_of(
        run_together(
            [
                (lambda r=r: services.hold_place(account=account, reason=r, acting_user=None))
                for r in reasons
            ]
        )
    )
    assert errors == []
    assert Hold.objects.active().filter(account=account).count() == len(reasons)
    assert_status_matches_holds(account)
    account.refresh_from_db()
    assert account.status == "frozen"


def test_concurrent_place_and_lift_leave_status_derived_from_holds(make_account, place_hold):
    account = make_account()
    to_lift = [place_hold(account, "suspicious_signin") for _ in range(4)]
    actions = [
        (
            lambda h=h: services.hold_lift(
                hold=h, acting_user=None, lift_reason=Hold.LiftReason.STAFF
            )
        )
        for h in to_lift
    ] + [
        (lambda: services.hold_place(account=account, reason="content_violation", acting_user=None))
        for _ in range(4)
    ]
    assert errors_of(run_together(actions)) == []
    assert_status_matches_holds(account)
    account.refresh_from_db()
    assert account.status == "restricted"


def test_two_lifts_of_one_hold_at_once_give_one_lift_and_one_clear_error(make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "suspicious_signin")
    errors = errors_of(
        run_together(
            [
                lambda: services.hold_lift(
                    hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF
                )
            ]
            * 2
        )
    )
    assert len(errors) == 1
    assert getattr(errors[0], "code", None) == "already_lifted"
    assert hold.events.filter(kind="hold_lifted").count() == 1
    assert_status_matches_holds(account)


def test_concurrent_identical_request_keys_place_one_hold(make_account):
    account = make_account()
    errors = errors_of(
        run_together(
            [
                lambda: services.hold_place(
                    account=account, reason="legal", acting_user=None, request_key="same"
                )
            ]
            * 4
        )
    )
    assert errors == []
    assert Hold.objects.filter(account=account).count() == 1
