"""Identity bound elsewhere: the hold a failed attempt leaves, the one-tap claim, and a
supervisor's release or transfer (issue 12, item 4)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Hold, Notice, StatusEvent
from tests.support.verification import ID_NUMBERS
from verification import services
from verification.models import IdentityBinding

Kind = StatusEvent.Kind


@pytest.fixture
def bound_elsewhere(in_review, make_request, reviewer):
    """An account (the holder) verified with ID_NUMBERS[0]; a second account tried it."""
    holder_request = in_review()
    services.verification_approve(request=holder_request, acting_user=reviewer)
    attempt = make_request(number=ID_NUMBERS[0], submit=True)
    services.verification_run_checks(request_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.state == "auto_rejected" and attempt.decision_reason == "identity_bound"
    return holder_request.account, attempt


def test_a_failed_attempt_places_one_identity_hold(bound_elsewhere):
    _holder, attempt = bound_elsewhere
    hold = attempt.account.holds.get(reason="identity_bound")
    assert hold.is_active and hold.source == Hold.Source.SYSTEM
    assert set(hold.blocked_features) >= {"live", "tip", "withdraw"}
    assert attempt.redo_parts == ["identity", "front", "back"]


def test_owners_own_successful_verification_lifts_the_attempts_hold(bound_elsewhere, in_review,
                                                                     reviewer):
    _holder, attempt = bound_elsewhere
    account = attempt.account
    own = in_review(account, number=ID_NUMBERS[1], seed=900)
    services.verification_approve(request=own, acting_user=reviewer)
    hold = account.holds.get(reason="identity_bound")
    assert not hold.is_active and hold.lift_reason == Hold.LiftReason.VERIFICATION_APPROVED
    account.refresh_from_db()
    assert account.status == "active" and not account.blocked_features


def test_an_account_already_verified_gets_no_hold_from_a_wrong_attempt(bound_elsewhere,
                                                                       in_review, reviewer,
                                                                       make_request):
    holder, _attempt = bound_elsewhere
    other = in_review(number=ID_NUMBERS[1], seed=700)
    services.verification_approve(request=other, acting_user=reviewer)
    wrong = make_request(other.account, number=ID_NUMBERS[0], submit=True, seed=710)
    services.verification_run_checks(request_id=wrong.pk)
    assert not other.account.holds.filter(reason="identity_bound").exists()


def test_result_page_says_it_once_and_offers_the_claim_in_one_tap(bound_elsewhere, client):
    _holder, attempt = bound_elsewhere
    client.force_login(attempt.account)
    page = client.get(reverse("verification:progress", args=[attempt.pk])).content.decode()
    assert page.count("already bound to another account") == 1
    assert "Appeal this decision" not in page  # no button named that is on this page
    hold = attempt.account.holds.get(reason="identity_bound")
    claim = reverse("appeals:file", args=[hold.pk]) + "?category=identity_claim"
    assert f'href="{claim}"' in page and 'data-testid="claim-identity"' in page
    form = client.get(claim).content.decode()
    assert 'value="identity_claim" selected' in form or \
        'value="identity_claim" checked' in form


def test_result_page_in_chinese_names_only_buttons_that_exist(bound_elsewhere, client, settings):
    _holder, attempt = bound_elsewhere
    client.force_login(attempt.account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("verification:progress", args=[attempt.pk])).content.decode()
    assert "对此决定提出申诉" not in page
    assert "认领此身份" in page


def test_supervisor_transfers_the_binding_with_events_and_notices(bound_elsewhere, supervisor):
    holder, attempt = bound_elsewhere
    claimant = attempt.account
    binding = IdentityBinding.objects.get(account=holder)
    services.binding_transfer(binding=binding, to_account=claimant, acting_user=supervisor,
                              note="ID card shown on video call")
    binding.refresh_from_db()
    assert binding.account == claimant and binding.request_id == attempt.pk
    for account in (holder, claimant):
        event = StatusEvent.objects.get(account=account, kind=Kind.IDENTITY_TRANSFERRED)
        assert event.acting_user == supervisor and event.data["to"] == claimant.pk
        assert Notice.objects.filter(account=account).exists()
    assert not claimant.holds.get(reason="identity_bound").is_active


def test_supervisor_releases_the_binding_and_both_accounts_hear_of_it(bound_elsewhere,
                                                                        supervisor):
    holder, attempt = bound_elsewhere
    before = Notice.objects.filter(account=attempt.account).count()
    services.binding_release(binding=IdentityBinding.objects.get(account=holder),
                             acting_user=supervisor, note="wrongly bound",
                             claimant=attempt.account)
    assert not IdentityBinding.objects.filter(account=holder).exists()
    assert StatusEvent.objects.filter(account=holder, kind=Kind.IDENTITY_RELEASED).exists()
    assert StatusEvent.objects.filter(account=attempt.account,
                                      kind=Kind.IDENTITY_RELEASED).exists()
    assert Notice.objects.filter(account=attempt.account).count() == before + 1


def test_a_reviewer_cannot_release_or_transfer(bound_elsewhere, reviewer):
    holder, attempt = bound_elsewhere
    binding = IdentityBinding.objects.get(account=holder)
    events = StatusEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.binding_transfer(binding=binding, to_account=attempt.account,
                                  acting_user=reviewer, note="x")
    assert caught.value.code == "not_allowed"
    with pytest.raises(ValidationError):
        services.binding_release(binding=binding, acting_user=reviewer, note="x")
    assert IdentityBinding.objects.get(pk=binding.pk).account == holder
    assert StatusEvent.objects.count() == events


def test_transfer_to_an_account_that_never_submitted_the_identity_is_refused(
        bound_elsewhere, supervisor, make_account):
    holder, _attempt = bound_elsewhere
    stranger = make_account("stranger")
    with pytest.raises(ValidationError) as caught:
        services.binding_transfer(binding=IdentityBinding.objects.get(account=holder),
                                  to_account=stranger, acting_user=supervisor, note="x")
    assert caught.value.code == "no_claim"
    assert IdentityBinding.objects.get(account=holder)


def test_admin_resolve_page_transfers_for_a_supervisor_only(bound_elsewhere, supervisor,
                                                            reviewer, client):
    holder, attempt = bound_elsewhere
    binding = IdentityBinding.objects.get(account=holder)
    url = reverse("admin:verification_identitybinding_resolve", args=[binding.pk])
    form = {"action": "transfer", "claimant": attempt.account.username, "note": "checked"}
    client.force_login(reviewer)
    assert client.post(url, form).status_code == 403
    client.force_login(supervisor)
    found = client.get(reverse("admin:verification_identitybinding_changelist"),
                       {"q": attempt.account.username}).content.decode()
    assert binding.number_masked in found
    page = client.get(reverse("admin:verification_identitybinding_change", args=[binding.pk]))
    assert attempt.account.username in page.content.decode()
    client.post(url, form)
    binding.refresh_from_db()
    assert binding.account == attempt.account
