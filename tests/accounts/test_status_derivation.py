"""The derived status is a pure function: no database needed."""

from accounts.status import derive_status


def test_no_holds_means_active_with_nothing_blocked():
    derived = derive_status([])
    assert derived.status == "active"
    assert derived.blocked_features == []


def test_highest_level_wins_banned_over_frozen_over_restricted():
    holds = [("restricted", ["publish"]), ("banned", ["pay"]), ("frozen", ["like"])]
    assert derive_status(holds).status == "banned"
    assert derive_status(holds[::2]).status == "frozen"
    assert derive_status(holds[:1]).status == "restricted"


def test_blocked_features_are_the_union_in_catalog_order():
    holds = [("restricted", ["pay", "publish"]), ("restricted", ["publish", "sign_in"])]
    assert derive_status(holds).blocked_features == ["sign_in", "publish", "pay"]


def test_order_of_holds_does_not_change_the_result():
    holds = [("frozen", ["live"]), ("restricted", ["comment", "tip"])]
    assert derive_status(holds) == derive_status(list(reversed(holds)))
