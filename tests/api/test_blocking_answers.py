"""The "may" and status answers say which holds block and where to go
(``blocked_by`` / ``portal_url``), from the cached snapshot; and a platform id
never changes, so no other id can keep answering from the cache.

Transactional, so the services' on-commit cache refresh really runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts import services
from accounts.cache import status_cache_get
from accounts.models import Account, Hold, StatusEvent

from .test_may_fast_path import drf_calls  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _may(api, account, feature):
    return api.get(f"/api/v1/accounts/{account.platform_account_id}/may/{feature}").json()


def test_a_refusal_names_each_blocking_hold_and_its_portal_url(api, active_user, settings):
    settings.SITE_URL = "https://portal.example"
    deadline = timezone.now() + timedelta(days=5)
    realname = services.hold_place(account=active_user, reason="realname_missing",
                                   acting_user=None, deadline=deadline, features=["publish"])
    frozen = services.hold_place(account=active_user, reason="suspicious_signin",
                                 acting_user=None)
    answer = _may(api, active_user, "publish")
    assert answer["allowed"] is False
    assert [b["hold_id"] for b in answer["blocked_by"]] == [frozen.pk, realname.pk]
    first, second = answer["blocked_by"]
    assert first == {
        "hold_id": frozen.pk, "reason": "suspicious_signin", "level": "frozen",
        "deadline": None, "portal_url": f"https://portal.example/holds/{frozen.pk}/",
    }
    assert second["level"] == "restricted" and second["deadline"] is not None
    assert abs(timezone.datetime.fromisoformat(second["deadline"]) - deadline) < timedelta(
        seconds=1)
    only_frozen = next(f for f in frozen.blocked_features if f != "publish")
    assert _may(api, active_user, only_frozen)["blocked_by"] == [first]


def test_an_allowed_feature_has_no_blockers(api, restricted_user):
    allowed = next(f for f in ("sign_in", "pay") if f not in restricted_user.blocked_features)
    answer = _may(api, restricted_user, allowed)
    assert answer["allowed"] is True and answer["blocked_by"] == []


def test_the_answer_comes_from_the_snapshot_without_a_query(
    api, restricted_user, drf_calls, django_assert_num_queries  # noqa: F811
):
    feature = restricted_user.blocked_features[0]
    _may(api, restricted_user, feature)  # key and status now in Redis
    with django_assert_num_queries(0):
        answer = _may(api, restricted_user, feature)
    assert answer["blocked_by"][0]["hold_id"] == restricted_user.holds.get().pk
    assert drf_calls == []  # the fast path answered


def test_a_second_hold_with_the_same_effect_reaches_the_answer(api, restricted_user):
    feature = restricted_user.blocked_features[0]
    first = restricted_user.holds.get()
    assert len(_may(api, restricted_user, feature)["blocked_by"]) == 1  # cached
    changes_before = StatusEvent.objects.filter(kind=StatusEvent.Kind.STATUS_CHANGED).count()
    second = services.hold_place(account=restricted_user, reason=first.reason,
                                 acting_user=None, features=first.blocked_features)
    answer = _may(api, restricted_user, feature)
    assert [b["hold_id"] for b in answer["blocked_by"]] == [first.pk, second.pk]
    # Status and features did not change: the version moved, no status event.
    restricted_user.refresh_from_db()
    assert answer["version"] == restricted_user.status_version
    assert StatusEvent.objects.filter(
        kind=StatusEvent.Kind.STATUS_CHANGED).count() == changes_before

    services.hold_lift(hold=first, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    assert [b["hold_id"] for b in _may(api, restricted_user, feature)["blocked_by"]] == [
        second.pk]


def test_status_answer_holds_carry_portal_urls(api, frozen_user, settings):
    settings.SITE_URL = "https://portal.example/"
    body = api.get(f"/api/v1/accounts/{frozen_user.platform_account_id}/status").json()
    hold = frozen_user.holds.get()
    assert body["holds"][0]["portal_url"] == f"https://portal.example/holds/{hold.pk}/"


def test_an_escalated_holds_deadline_is_no_longer_given(api, active_user):
    hold = services.hold_place(account=active_user, reason="realname_missing",
                               acting_user=None, deadline=timezone.now() + timedelta(days=1))
    feature = hold.blocked_features[0]
    assert _may(api, active_user, feature)["blocked_by"][0]["deadline"] is not None
    services.hold_escalate(hold=hold, acting_user=None)
    blocker = _may(api, active_user, feature)["blocked_by"][0]
    assert blocker["deadline"] is None and blocker["level"] == "frozen"


# ---------------------------------------------------------------------------
# platform_account_id is immutable
# ---------------------------------------------------------------------------
def test_changing_a_platform_id_is_refused_by_the_model(api, frozen_user):
    _may(api, frozen_user, "pay")  # cached under the id
    account = Account.objects.get(pk=frozen_user.pk)
    account.platform_account_id = "p-someone-else"
    with pytest.raises(ValidationError) as error:
        account.save()
    assert error.value.code == "platform_account_id_immutable"
    account.platform_account_id = None
    with pytest.raises(ValidationError):
        account.save()
    assert Account.objects.get(pk=frozen_user.pk).platform_account_id == "p-fred"


def test_changing_a_platform_id_is_refused_by_the_database(api, frozen_user):
    _may(api, frozen_user, "pay")
    with pytest.raises(DatabaseError), transaction.atomic():
        Account.objects.filter(pk=frozen_user.pk).update(platform_account_id="p-new-id")
    assert Account.objects.get(pk=frozen_user.pk).platform_account_id == "p-fred"
    assert status_cache_get("p-new-id") is None
    assert api.get("/api/v1/accounts/p-new-id/status").status_code == 404


def test_a_platform_id_can_be_given_once_to_an_account_without_one(make_account):
    account = make_account("staffish", platform_account_id=None)
    account.platform_account_id = "p-given-later"
    account.save()
    assert Account.objects.get(pk=account.pk).platform_account_id == "p-given-later"
