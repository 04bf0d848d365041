"""Every transition of the state model, and every refusal, through the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Account, Hold, StatusEvent

pytestmark = pytest.mark.django_db
Kind = StatusEvent.Kind


def kinds(account: Account) -> list[str]:
    return list(
        StatusEvent.objects.filter(account=account).order_by("pk").values_list("kind", flat=True)
    )


def counts() -> tuple[int, int]:
    return Hold.objects.count(), StatusEvent.objects.count()


# --- placing -----------------------------------------------------------------
def test_placing_first_hold_makes_account_restricted_and_logs_both_events(active_user):
    hold = services.hold_place(account=active_user, reason="content_violation", acting_user=None)
    active_user.refresh_from_db()
    assert active_user.status == "restricted"
    assert active_user.blocked_features == ["publish", "comment", "live"]
    assert hold.blocked_features == ["publish", "comment", "live"]
    assert kinds(active_user) == [Kind.HOLD_PLACED, Kind.STATUS_CHANGED]
    change = StatusEvent.objects.get(account=active_user, kind=Kind.STATUS_CHANGED)
    assert change.data["old"] == "active" and change.data["new"] == "restricted"


def test_placing_a_frozen_hold_over_a_restricted_one_freezes_the_account(restricted_user):
    services.hold_place(account=restricted_user, reason="suspicious_signin", acting_user=None)
    restricted_user.refresh_from_db()
    assert restricted_user.status == "frozen"
    assert "sign_in" in restricted_user.blocked_features


def test_ban_outranks_every_other_hold(frozen_user):
    services.hold_place(account=frozen_user, reason="severe_violation", acting_user=None)
    frozen_user.refresh_from_db()
    assert frozen_user.status == "banned"


def test_explicit_features_and_allowed_level_are_kept(active_user):
    hold = services.hold_place(
        account=active_user,
        reason="bulk_activity",
        acting_user=None,
        level="frozen",
        features=["like", "follow", "like"],
    )
    active_user.refresh_from_db()
    assert hold.level == "frozen" and active_user.status == "frozen"
    assert hold.blocked_features == ["like", "follow"]


def test_a_hold_that_changes_nothing_in_status_logs_no_status_change(restricted_user):
    before = kinds(restricted_user)
    services.hold_place(account=restricted_user, reason="content_violation", acting_user=None)
    assert kinds(restricted_user) == before + [Kind.HOLD_PLACED]


def test_same_request_key_returns_the_same_hold(active_user):
    first = services.hold_place(
        account=active_user, reason="legal", acting_user=None, request_key="k1"
    )
    second = services.hold_place(
        account=active_user, reason="legal", acting_user=None, request_key="k1"
    )
    assert first.pk == second.pk
    assert Hold.objects.filter(account=active_user).count() == 1


def test_reusing_a_request_key_for_another_request_is_refused(active_user, make_account):
    services.hold_place(account=active_user, reason="legal", acting_user=None, request_key="k2")
    other = make_account()
    with pytest.raises(ValidationError) as error:
        services.hold_place(account=other, reason="legal", acting_user=None, request_key="k2")
    assert error.value.code == "request_key_reused"


# --- refused placements: a clear error and nothing written ------------------
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": "no_such_reason"}, "unknown_reason"),
        ({"reason": "content_violation", "features": ["publish", "teleport"]}, "unknown_feature"),
        ({"reason": "content_violation", "features": []}, "no_features"),
        ({"reason": "content_violation", "level": "banned"}, "level_not_allowed"),
        (
            {"reason": "realname_missing", "deadline": timezone.now() - timedelta(minutes=1)},
            "deadline_in_past",
        ),
        (
            {"reason": "password_failures", "expires_at": timezone.now() - timedelta(seconds=1)},
            "expiry_in_past",
        ),
        (
            {"reason": "content_violation", "deadline": timezone.now() + timedelta(days=1)},
            "deadline_not_applicable",
        ),
        ({"reason": "content_violation", "source": "martians"}, "unknown_source"),
    ],
)
def test_bad_placement_is_refused_with_a_code_and_writes_nothing(active_user, kwargs, code):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.hold_place(account=active_user, acting_user=None, **kwargs)
    assert error.value.code == code
    assert error.value.messages[0]  # a readable message, not just a code
    assert counts() == before
    active_user.refresh_from_db()
    assert active_user.status == "active" and active_user.status_version == 0


# --- lifting -------------------------------------------------------------------
def test_lifting_last_hold_makes_account_active(restricted_user, supervisor):
    hold = Hold.objects.get(account=restricted_user)
    services.hold_lift(
        hold=hold, acting_user=supervisor, lift_reason=Hold.LiftReason.STAFF, note="ok"
    )
    restricted_user.refresh_from_db()
    hold.refresh_from_db()
    assert restricted_user.status == "active" and restricted_user.blocked_features == []
    assert hold.lifted_by == supervisor and hold.lift_reason == "staff" and hold.lift_note == "ok"
    assert kinds(restricted_user)[-2:] == [Kind.HOLD_LIFTED, Kind.STATUS_CHANGED]


def test_lifting_one_of_two_holds_keeps_the_other_in_force(frozen_user, place_hold):
    extra = place_hold(frozen_user, "content_violation")
    frozen = Hold.objects.get(account=frozen_user, reason="suspicious_signin")
    services.hold_lift(
        hold=frozen, acting_user=None, lift_reason=Hold.LiftReason.VERIFICATION_APPROVED,
        by_flow=True,
    )
    frozen_user.refresh_from_db()
    assert frozen_user.status == "restricted"
    assert frozen_user.blocked_features == extra.blocked_features


def test_lifting_a_lifted_hold_is_refused_and_writes_nothing(restricted_user):
    hold = Hold.objects.get(account=restricted_user)
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    assert error.value.code == "already_lifted"
    assert counts() == before


def test_lifting_with_an_unknown_reason_is_refused(restricted_user):
    hold = Hold.objects.get(account=restricted_user)
    with pytest.raises(ValidationError) as error:
        services.hold_lift(hold=hold, acting_user=None, lift_reason="because")
    assert error.value.code == "unknown_lift_reason"
    hold.refresh_from_db()
    assert hold.is_active


@pytest.mark.parametrize("reason", ["verification_approved", "appeal_accepted", "expired"])
def test_a_lift_by_hand_cannot_record_a_flows_reason(restricted_user, reason):
    hold = Hold.objects.get(account=restricted_user)
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.hold_lift(hold=hold, acting_user=None, lift_reason=reason)
    assert error.value.code == "lift_reason_not_allowed"
    assert counts() == before
    hold.refresh_from_db()
    assert hold.is_active


def test_lift_for_remedy_lifts_only_holds_that_remedy_clears(active_user, place_hold):
    place_hold(active_user, "realname_missing")
    place_hold(active_user, "suspicious_signin")
    kept = place_hold(active_user, "content_violation")
    needs_more = place_hold(active_user, "theft_risk")  # verify *and* secure: staff decide
    lifted = services.holds_lift_for_remedy(
        account=active_user,
        remedy="verify",
        acting_user=None,
        lift_reason=Hold.LiftReason.VERIFICATION_APPROVED,
    )
    assert sorted(h.reason for h in lifted) == ["realname_missing", "suspicious_signin"]
    assert set(Hold.objects.active().filter(account=active_user)) == {kept, needs_more}


# --- escalation and expiry -------------------------------------------------------
def test_escalating_real_name_hold_freezes_the_account(active_user, place_hold):
    hold = place_hold(active_user, "realname_missing", deadline=timezone.now() + timedelta(days=1))
    services.hold_escalate(hold=hold, acting_user=None)
    hold.refresh_from_db()
    active_user.refresh_from_db()
    assert hold.level == "frozen" and hold.escalated_at is not None
    assert active_user.status == "frozen"
    assert "comment" in active_user.blocked_features
    assert Kind.HOLD_ESCALATED in kinds(active_user)


@pytest.mark.parametrize("setup", ["lifted", "escalated", "no_rule"])
def test_impossible_escalations_are_refused(active_user, place_hold, setup):
    reason = "content_violation" if setup == "no_rule" else "realname_missing"
    hold = place_hold(active_user, reason)
    if setup == "lifted":
        services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    if setup == "escalated":
        services.hold_escalate(hold=hold, acting_user=None)
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.hold_escalate(hold=hold, acting_user=None)
    assert (
        error.value.code
        == {
            "lifted": "already_lifted",
            "escalated": "already_escalated",
            "no_rule": "no_escalation",
        }[setup]
    )
    assert counts() == before


def test_overdue_sweep_escalates_only_holds_past_their_deadline(make_account, place_hold):
    now = timezone.now()
    due = place_hold(make_account(), "realname_missing", deadline=now + timedelta(hours=1))
    later = place_hold(make_account(), "realname_missing", deadline=now + timedelta(days=3))
    assert services.holds_escalate_overdue(now=now + timedelta(hours=2)) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.escalated_at is not None and later.escalated_at is None
    assert services.holds_escalate_overdue(now=now + timedelta(hours=2)) == 0  # idempotent


def test_expiry_sweep_lifts_expired_holds_as_expired(make_account, place_hold):
    now = timezone.now()
    hold = place_hold(make_account(), "password_failures", expires_at=now + timedelta(hours=1))
    assert services.holds_lift_expired(now=now + timedelta(minutes=30)) == 0
    assert services.holds_lift_expired(now=now + timedelta(hours=2)) == 1
    hold.refresh_from_db()
    assert hold.lift_reason == "expired"
    hold.account.refresh_from_db()
    assert hold.account.status == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["severe_violation", "legal"])
def test_only_a_supervisor_lifts_a_ban_or_a_legal_hold(make_account, place_hold, reviewer, officer, supervisor, reason):
    hold = place_hold(make_account(), reason)
    for person in (reviewer, officer, None):  # None: a caller that is not a flow
        with pytest.raises(ValidationError) as error:
            services.hold_lift(hold=hold, acting_user=person, lift_reason=Hold.LiftReason.STAFF)
        assert error.value.code == "needs_supervisor"
    services.hold_lift(hold=hold, acting_user=supervisor, lift_reason=Hold.LiftReason.STAFF)
    hold.refresh_from_db()
    assert not hold.is_active


@pytest.mark.django_db
def test_an_expired_ban_is_lifted_by_the_system_flow(make_account, place_hold):
    from datetime import timedelta

    from django.utils import timezone

    hold = place_hold(make_account(), "severe_violation", expires_at=timezone.now() + timedelta(hours=1))
    assert services.holds_lift_expired(now=timezone.now() + timedelta(hours=2)) == 1
    hold.refresh_from_db()
    assert hold.lift_reason == Hold.LiftReason.EXPIRED
