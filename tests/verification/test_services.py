"""Verification services: transitions, checks routing, claims, decisions, retention."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone, translation

from accounts.models import Hold, Notice, StatusEvent
from tests.support.verification import ID_NUMBERS
from verification import crypto, selectors, services
from verification.models import (
    DocumentReading,
    IdentityBinding,
    VerificationImage,
    VerificationRequest,
)

from .pictures import card_jpeg, frame_jpeg, upload

State = VerificationRequest.State
pytestmark = pytest.mark.django_db


def test_details_are_stored_encrypted_masked_and_hashed(make_request):
    request = make_request()
    assert ID_NUMBERS[0] not in request.number_encrypted
    assert crypto.decrypt(request.number_encrypted) == ID_NUMBERS[0]
    assert request.number_masked == "1101**********002X"
    assert request.identity_hash == crypto.identity_hash("cn_ric", ID_NUMBERS[0])


def test_under_age_number_is_refused_at_the_details_step(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    young = "110101" + f"{timezone.localdate().year - 10}0101" + "001"
    from stdnum.cn import ric

    young += ric.calc_check_digit(young + "0")
    with pytest.raises(ValidationError) as info:
        services.verification_set_details(
            request=request, acting_user=account, subject="individual", legal_name="小明",
            document_type="cn_ric", number=young)
    assert info.value.code == "under_age"
    request.refresh_from_db()
    assert request.number_encrypted == ""


def test_organization_needs_a_valid_licence_code_and_representative(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    kwargs = dict(request=request, acting_user=account, subject="organization",
                  legal_name="某某科技有限公司", document_type="cn_ric", number=ID_NUMBERS[0])
    with pytest.raises(ValidationError) as info:
        services.verification_set_details(**kwargs, licence_number="91110000600037341X",
                                          legal_representative="张三")
    assert info.value.code == "uscc_checksum"
    with pytest.raises(ValidationError):
        services.verification_set_details(**kwargs, licence_number="91110000600037341L")
    services.verification_set_details(**kwargs, licence_number="91110000600037341L",
                                      legal_representative="张三")


def test_start_returns_the_same_draft_until_it_is_decided(make_account):
    account = make_account(language="en")
    first = services.verification_start(acting_user=account)
    assert services.verification_start(acting_user=account) == first


def test_incomplete_draft_cannot_be_submitted(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    with pytest.raises(ValidationError) as info:
        services.verification_submit(request=request, acting_user=account)
    assert info.value.code == "incomplete"
    assert selectors.missing_parts(request) == ["front", "identity", "back", "liveness"]


def test_too_few_liveness_frames_cannot_be_submitted(make_request):
    # Fewer than the backend's minimum would be rejected automatically and
    # cost one of the day's submissions; the draft is simply not finished.
    request = make_request(frames=2)
    assert selectors.missing_parts(request) == ["liveness"]
    assert selectors.next_step(request) == "liveness"
    with pytest.raises(ValidationError) as info:
        services.verification_submit(request=request, acting_user=request.account)
    assert info.value.code == "incomplete"
    request.refresh_from_db()
    assert request.state == VerificationRequest.State.DRAFT


def test_someone_else_cannot_touch_a_draft(make_request, make_account):
    request = make_request()
    with pytest.raises(ValidationError) as info:
        services.verification_submit(request=request, acting_user=make_account(language="en"))
    assert info.value.code == "not_owner"


def test_transition_table_refuses_skipping_states(make_request, reviewer):
    request = make_request(submit=True)
    with pytest.raises(ValidationError) as info:
        services.verification_approve(request=request, acting_user=reviewer)
    assert info.value.code == "already_decided" or info.value.code == "bad_transition"
    assert services.TRANSITIONS[State.APPROVED] == set()


def test_running_checks_twice_does_nothing_the_second_time(make_request):
    request = make_request(submit=True)
    assert services.verification_run_checks(request_id=request.pk) == State.IN_REVIEW
    assert services.verification_run_checks(request_id=request.pk) is None
    assert StatusEvent.objects.filter(kind="verification_in_review").count() == 1


def test_clean_request_enters_review_with_every_check_scored(in_review):
    request = in_review()
    names = set(request.checks.values_list("name", flat=True))
    assert {"document_number", "age", "front_card", "front_sharpness", "back_glare",
            "front_face", "read_number", "read_name", "validity", "reused_photo",
            "identity_bound", "liveness", "liveness_face"} <= names
    assert all(0.0 <= c.score <= 1.0 for c in request.checks.all())
    assert request.priority >= 1 and request.sla_due_at > request.submitted_at


def test_blurred_back_photo_is_auto_rejected_with_a_specific_message(make_request):
    request = make_request(back=card_jpeg(99, side="back", blur=6), submit=True)
    assert services.verification_run_checks(request_id=request.pk) == State.AUTO_REJECTED
    request.refresh_from_db()
    assert "back photo is blurred" in request.decision_message
    assert "front" not in request.decision_message
    notice = Notice.objects.get(account=request.account)
    assert "back photo is blurred" in notice.body


def test_glare_and_wrong_proportions_are_named(make_request):
    request = make_request(front=card_jpeg(98, glare=True),
                           back=card_jpeg(97, side="back", squash=True), submit=True)
    services.verification_run_checks(request_id=request.pk)
    request.refresh_from_db()
    assert request.state == State.AUTO_REJECTED
    assert "front photo has glare" in request.decision_message
    assert "back photo does not show the card" in request.decision_message


def test_identical_liveness_frames_are_auto_rejected(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    services.verification_set_details(request=request, acting_user=account, subject="individual",
                                      legal_name="李四", document_type="passport",
                                      number="E12345678")
    for kind, seed in (("front", 500), ("back", 501)):
        services.verification_attach_image(request=request, acting_user=account, kind=kind,
                                           upload=upload(card_jpeg(seed)))
    services.verification_liveness_start(request=request, acting_user=account)
    for _ in range(3):
        services.verification_liveness_add_frame(request=request, acting_user=account,
                                                 upload=upload(frame_jpeg(1)))
    services.verification_submit(request=request, acting_user=account)
    services.verification_run_checks(request_id=request.pk)
    request.refresh_from_db()
    assert request.number_masked == "E*******8"
    submitted = StatusEvent.objects.get(account=account, kind="verification_submitted")
    assert submitted.data["document"] == "E*******8"
    assert request.state == State.AUTO_REJECTED
    liveness = request.checks.get(name="liveness")
    assert liveness.detail["rules"]["frames_differ"] is False
    assert "liveness check did not work" in request.decision_message


def test_expired_challenge_refuses_frames(make_request, make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    services.verification_liveness_start(request=request, acting_user=account,
                                         now=timezone.now() - timedelta(minutes=10))
    with pytest.raises(ValidationError) as info:
        services.verification_liveness_add_frame(request=request, acting_user=account,
                                                 upload=upload(frame_jpeg(2)))
    assert info.value.code == "challenge_expired"


def test_photo_seen_on_another_account_raises_priority(make_request, in_review):
    card = card_jpeg(4242, number=ID_NUMBERS[1])
    make_request(front=card)
    request = in_review(front=card, number=ID_NUMBERS[1])
    assert request.checks.get(name="reused_photo").passed is False
    assert request.priority >= 3


def test_identity_bound_elsewhere_is_auto_rejected_and_offers_appeal(in_review, make_request,
                                                                     reviewer):
    services.verification_approve(request=in_review(), acting_user=reviewer)
    request = make_request(number=ID_NUMBERS[0], submit=True)
    assert services.verification_run_checks(request_id=request.pk) == State.AUTO_REJECTED
    request.refresh_from_db()
    assert request.decision_reason == "identity_bound"
    assert "appeal" in request.decision_message
    hold = Hold.objects.active().get(account=request.account)
    assert hold.reason == "identity_bound"


def test_approval_binds_identity_lifts_verify_holds_and_notifies(in_review, make_account,
                                                                 place_hold, reviewer):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    place_hold(account, "content_violation")
    request = in_review(account)
    services.verification_claim(request=request, acting_user=reviewer)
    services.verification_approve(request=request, acting_user=reviewer, message="欢迎")
    account.refresh_from_db()
    assert account.status == "restricted"  # the content hold is not cleared by verifying
    assert list(Hold.objects.active().filter(account=account).values_list("reason", flat=True)) \
        == ["content_violation"]
    lifted = Hold.objects.get(account=account, reason="realname_missing")
    assert lifted.lift_reason == Hold.LiftReason.VERIFICATION_APPROVED
    assert lifted.lifted_by == reviewer
    binding = IdentityBinding.objects.get(account=account)
    assert binding.number_masked == "1101**********002X"
    assert Notice.objects.filter(account=account, title__icontains="approved").exists()
    kinds = set(StatusEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert {"verification_approved", "identity_bound", "verification_submitted"} <= kinds


def test_a_different_identity_on_a_verified_account_goes_to_urgent_review(in_review, reviewer,
                                                                         settings):
    first = in_review()
    services.verification_approve(request=first, acting_user=reviewer)
    account = first.account
    second = in_review(account, number=ID_NUMBERS[1], seed=first.pk * 100)
    check = second.checks.get(name="identity_changed")
    assert check.passed is False
    assert "different identity" in check.detail["note"]
    assert check.detail["bound_document"] == "1101**********002X"
    assert check.detail["requested_document"] == crypto.mask(ID_NUMBERS[1],
                                                             document_type="cn_ric")
    assert second.priority >= 3
    urgent = timedelta(hours=settings.PORTAL_VERIFICATION_URGENT_SLA_HOURS)
    assert second.sla_due_at == second.submitted_at + urgent
    # Nothing was said to the owner about it: the case simply waits for a person.
    assert second.decision_message == ""


def test_approval_refuses_to_replace_a_binding_with_a_different_identity(in_review, reviewer):
    first = in_review()
    services.verification_approve(request=first, acting_user=reviewer)
    second = in_review(first.account, number=ID_NUMBERS[1], seed=first.pk * 100)
    with pytest.raises(ValidationError) as info:
        services.verification_approve(request=second, acting_user=reviewer)
    assert info.value.code == "identity_changed"
    assert "different identity (1101**********002X)" in info.value.messages[0]
    binding = IdentityBinding.objects.get(account=first.account)
    assert binding.identity_hash == first.identity_hash and binding.request_id == first.pk
    second.refresh_from_db()
    assert second.state == State.IN_REVIEW
    assert not StatusEvent.objects.filter(account=first.account,
                                          kind="verification_approved").exclude(
        data__request=first.pk).exists()


def test_re_verifying_with_the_same_identity_still_works(in_review, reviewer):
    first = in_review()
    services.verification_approve(request=first, acting_user=reviewer)
    second = in_review(first.account, number=ID_NUMBERS[0], seed=first.pk * 100)
    assert second.checks.get(name="identity_changed").passed is True
    assert second.priority < 3
    services.verification_approve(request=second, acting_user=reviewer)
    second.refresh_from_db()
    assert second.state == State.APPROVED
    binding = IdentityBinding.objects.get(account=first.account)
    assert binding.identity_hash == first.identity_hash and binding.request_id == second.pk


def test_rejection_with_reason_lets_the_owner_start_again(in_review, reviewer):
    request = in_review()
    services.verification_reject(request=request, acting_user=reviewer, reason="face_mismatch",
                                 message="请本人操作")
    request.refresh_from_db()
    assert request.state == State.REJECTED and request.decision_message == "请本人操作"
    again = services.verification_start(acting_user=request.account)
    assert again.pk != request.pk and again.state == State.DRAFT


def test_other_as_the_reason_needs_words_for_the_owner(in_review, reviewer):
    request = in_review()
    for message in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.verification_reject(request=request, acting_user=reviewer, reason="other",
                                         message=message)
        assert refused.value.code == "other_needs_message"
    request.refresh_from_db()
    assert request.state == State.IN_REVIEW and request.decided_at is None


def test_resubmission_is_rate_limited(make_request, make_account, settings):
    settings.PORTAL_VERIFICATION_SUBMISSIONS_PER_DAY = 1
    account = make_account(language="en")
    first = make_request(account, submit=True)
    services.verification_run_checks(request_id=first.pk)
    VerificationRequest.objects.filter(pk=first.pk).update(state=State.REJECTED)
    second = make_request(account)
    with pytest.raises(ValidationError) as info:
        services.verification_submit(request=second, acting_user=account)
    assert info.value.code == "rate_limited"


def test_claimed_case_cannot_be_claimed_or_decided_by_another_reviewer(in_review, reviewer,
                                                                       supervisor):
    request = in_review()
    services.verification_claim(request=request, acting_user=reviewer)
    for action in (services.verification_claim, services.verification_approve):
        with pytest.raises(ValidationError) as info:
            action(request=request, acting_user=supervisor)
        assert info.value.code == "claimed_by_other"
    later = timezone.now() + timedelta(hours=1)
    services.verification_claim(request=request, acting_user=supervisor, now=later)  # lapsed


def test_release_returns_the_case_to_the_queue(in_review, reviewer, supervisor):
    request = in_review()
    services.verification_claim(request=request, acting_user=reviewer)
    services.verification_release(request=request, acting_user=reviewer)
    request.refresh_from_db()
    assert request.claimed_by is None and request.claimed_until is None
    services.verification_claim(request=request, acting_user=supervisor)
    request.refresh_from_db()
    assert request.claimed_by == supervisor
    assert request.claimed_until > timezone.now()


def test_images_are_purged_after_retention_but_hashes_stay(in_review, reviewer, settings,
                                                           _private_media):
    request = in_review()
    services.verification_reject(request=request, acting_user=reviewer, reason="other",
                                  message="The photo is not of a document.")
    names = list(request.images.values_list("name", flat=True))
    assert all((_private_media / n).exists() for n in names)
    assert services.verification_images_purge() == 0
    later = timezone.now() + timedelta(days=settings.PORTAL_IMAGE_RETENTION_DAYS + 1)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.verification_images_purge(now=later) == 1
    assert not any((_private_media / n).exists() for n in names)
    assert set(request.images.values_list("name", flat=True)) == {""}
    assert request.images.filter(kind="front").exclude(phash="").exists()


def test_sweeper_resets_abandoned_checks(make_request):
    request = make_request(submit=True)
    old = timezone.now() - timedelta(hours=1)
    VerificationRequest.objects.filter(pk=request.pk).update(
        state=State.CHECKING, checking_started_at=old, submitted_at=old)
    assert services.verification_requeue_stuck() == 1
    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_rotate_keys_command_re_encrypts_under_the_new_key(in_review, reviewer, settings):
    from cryptography.fernet import Fernet

    request = in_review()
    services.verification_approve(request=request, acting_user=reviewer)
    new = Fernet.generate_key().decode()
    settings.PORTAL_FIELD_ENCRYPTION_KEYS = [new, *settings.PORTAL_FIELD_ENCRYPTION_KEYS]
    call_command("verification_rotate_keys", stdout=open("/dev/null", "w"))
    settings.PORTAL_FIELD_ENCRYPTION_KEYS = [new]
    request.refresh_from_db()
    assert crypto.decrypt(request.number_encrypted) == ID_NUMBERS[0]
    assert crypto.decrypt(IdentityBinding.objects.get().number_encrypted) == ID_NUMBERS[0]
    read = DocumentReading.objects.exclude(number_encrypted="")
    assert read.exists()
    assert {crypto.decrypt(r.number_encrypted) for r in read} == {ID_NUMBERS[0]}


# ---------------------------------------------------------------------------
# Races (real PostgreSQL, real threads)
# ---------------------------------------------------------------------------
def _race(*actions):
    """Run the actions at once in threads; return (results, errors)."""
    barrier = threading.Barrier(len(actions))
    results, errors = [], []

    def run(action):
        try:
            barrier.wait()
            with translation.override("en"):
                results.append(action())
        except ValidationError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_make_exactly_one_decision(in_review, reviewer,
                                                                  supervisor):
    request = in_review()
    results, errors = _race(
        lambda: services.verification_approve(request=request, acting_user=reviewer),
        lambda: services.verification_reject(request=request, acting_user=supervisor,
                                             reason="photo_unclear"),
    )
    assert len(results) == 1 and len(errors) == 1
    assert errors[0].code == "already_decided"
    assert "already decided" in errors[0].messages[0]
    request.refresh_from_db()
    assert request.state in (State.APPROVED, State.REJECTED)
    decided = StatusEvent.objects.filter(
        kind__in=["verification_approved", "verification_rejected"]).count()
    assert decided == 1


@pytest.mark.django_db(transaction=True)
def test_same_number_for_two_accounts_at_once_binds_exactly_one(in_review, reviewer,
                                                                supervisor):
    first, second = in_review(), in_review()
    assert first.identity_hash == second.identity_hash
    results, errors = _race(
        lambda: services.verification_approve(request=first, acting_user=reviewer),
        lambda: services.verification_approve(request=second, acting_user=supervisor),
    )
    assert len(results) == 1 and len(errors) == 1
    assert errors[0].code == "identity_bound"
    assert IdentityBinding.objects.count() == 1
    assert VerificationRequest.objects.filter(state=State.APPROVED).count() == 1
    loser = second if results[0].pk == first.pk else first
    loser.refresh_from_db()
    assert loser.state == State.IN_REVIEW  # nothing of the failed approval was kept


def test_frames_are_limited(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    services.verification_liveness_start(request=request, acting_user=account)
    for i in range(8):
        services.verification_liveness_add_frame(request=request, acting_user=account,
                                                 upload=upload(frame_jpeg(i)))
    with pytest.raises(ValidationError):
        services.verification_liveness_add_frame(request=request, acting_user=account,
                                                 upload=upload(frame_jpeg(9)))
    assert VerificationImage.objects.filter(kind="frame").count() == 8


def test_abandoned_draft_photos_are_purged_and_asked_for_again(make_request, settings,
                                                               _private_media):
    from django.test import TestCase


    request = make_request()
    names = list(request.images.values_list("name", flat=True))
    later = timezone.now() + timedelta(days=settings.PORTAL_IMAGE_RETENTION_DAYS + 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.verification_images_purge(now=later) == 5  # front, back, 3 frames
    assert not request.images.exists()
    assert not any((_private_media / n).exists() for n in names)
    assert selectors.next_step(request) == "front"


def test_a_stored_photo_that_vanished_is_reported_as_missing(make_request, _private_media):
    request = make_request(submit=True)
    (_private_media / request.images.get(kind="back").name).unlink()
    assert services.verification_run_checks(request_id=request.pk) == State.AUTO_REJECTED
    request.refresh_from_db()
    assert "back photo is missing" in request.decision_message


@pytest.mark.django_db(transaction=True)
def test_a_replaced_photo_is_deleted_through_the_outbox_after_the_commit(make_request):
    from accounts.models import OutboxMessage
    from verification import images as verification_images

    from .pictures import card_jpeg, upload

    request = make_request()
    old = request.images.get(kind="front")
    assert verification_images.load(old.name)
    services.verification_attach_image(
        request=request, acting_user=request.account, kind="front",
        upload=upload(card_jpeg(99, side="front")))
    call = OutboxMessage.objects.get(name="verification.files_delete", args__contains=[old.name])
    assert call.published_at is not None  # run right after the commit
    with pytest.raises(FileNotFoundError):
        verification_images.load(old.name)
