"""The case page as a reviewer and a supervisor use it (issue 13): one screen per
decision, refusals that tell the truth, takeover, escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notice, StatusEvent
from tests.conftest import staff_two_step_pass
from verification import services, tasks
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


def _change(pk):
    return reverse("admin:verification_verificationrequest_change", args=[pk])


def _url(name, pk=None):
    args = [pk] if pk is not None else []
    return reverse(f"admin:verification_verificationrequest_{name}", args=args)


def test_decision_form_comes_first_with_typed_and_read_and_the_keys(in_review, reviewer, client):
    vr = in_review()
    client.force_login(reviewer)
    staff_two_step_pass(client, reviewer)  # the images need the authenticator's code
    page = client.get(_change(vr.pk)).content.decode()
    decision, comparison = page.index('data-testid="approve"'), page.index('data-testid="document"')
    assert decision < comparison < page.index('data-testid="checks"')
    assert page.index('data-testid="failed-checks"') < page.index('data-testid="id-image"')
    assert 'data-testid="shortcuts"' in page and "review-keys.js" in page


def test_deciding_claims_the_case_and_opens_the_next_one_claimed(in_review, reviewer, client):
    first, second = in_review(), in_review()
    VerificationRequest.objects.filter(pk=first.pk).update(
        sla_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(reviewer)
    response = client.post(_url("decide", first.pk), {
        "decision": "reject", "reason": "document_expired", "message": "过期", "open_next": "on"})
    assert response.status_code == 302 and response["Location"] == _change(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == "rejected" and first.decided_by == reviewer
    assert second.claimed_by == reviewer


def test_deciding_the_last_case_goes_back_to_the_queue_with_a_word(in_review, reviewer, client):
    vr = in_review()
    client.force_login(reviewer)
    response = client.post(_url("decide", vr.pk), {"decision": "approve", "open_next": "on"},
                           follow=True)
    assert response.redirect_chain[-1][0] == _url("changelist")
    assert "No case is waiting for a reviewer." in response.content.decode()


def test_claim_next_in_one_click_skips_what_a_colleague_holds(in_review, reviewer, supervisor,
                                                              client):
    held, free = in_review(), in_review()
    services.verification_claim(request=held, acting_user=supervisor)
    client.force_login(reviewer)
    response = client.post(_url("next"))
    assert response["Location"] == _change(free.pk)
    assert VerificationRequest.objects.get(pk=free.pk).claimed_by == reviewer


def test_skipping_gives_the_case_back_and_opens_another(in_review, reviewer, client):
    first, second = in_review(), in_review()
    services.verification_claim(request=first, acting_user=reviewer)
    client.force_login(reviewer)
    response = client.post(_url("next"), {"after": first.pk})
    assert response["Location"] == _change(second.pk)
    assert VerificationRequest.objects.get(pk=first.pk).claimed_by is None


def test_a_refused_decision_is_an_error_and_keeps_what_was_typed(in_review, reviewer, supervisor,
                                                                  client):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=supervisor)
    client.force_login(reviewer)
    response = client.post(_url("decide", vr.pk), {
        "decision": "reject", "reason": "document_expired", "message": "请重新上传有效证件"},
        follow=True)
    page = response.content.decode()
    error = page[page.index('data-testid="admin-messages"'):].split("</ul>")[0]
    assert 'class="error"' in error and "you cannot act on it" in error
    assert 'class="success"' not in error and "danger" not in error
    assert VerificationRequest.objects.get(pk=vr.pk).state == "in_review"
    # The colleague releases; the reviewer's words are still there to send.
    services.verification_release(request=vr, acting_user=supervisor)
    page = client.get(_change(vr.pk)).content.decode()
    assert "请重新上传有效证件</textarea>" in page
    assert '<option value="document_expired" selected>' in page
    client.post(_url("decide", vr.pk), {"decision": "reject", "message": "请重新上传有效证件"})
    page = client.get(_change(vr.pk)).content.decode()
    assert "请重新上传有效证件</textarea>" in page  # refused for the missing reason, kept
    page = client.get(_change(vr.pk)).content.decode()
    assert "请重新上传有效证件</textarea>" not in page  # shown once, not for ever


def test_a_reviewer_sees_no_takeover_and_is_refused_one(in_review, reviewer, supervisor, client):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=supervisor)
    client.force_login(reviewer)
    page = client.get(_change(vr.pk)).content.decode()
    assert 'data-testid="takeover"' not in page and 'data-testid="approve"' not in page
    assert 'data-testid="escalate"' not in page
    page = client.post(_url("takeover", vr.pk), follow=True).content.decode()
    assert "Only a supervisor can take over" in page
    assert VerificationRequest.objects.get(pk=vr.pk).claimed_by == supervisor
    assert not StatusEvent.objects.filter(kind="claim_taken_over").exists()


def test_a_supervisor_takes_over_a_claim_with_an_event(in_review, reviewer, supervisor, client):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=reviewer)
    client.force_login(supervisor)
    assert 'data-testid="takeover"' in client.get(_change(vr.pk)).content.decode()
    page = client.post(_url("takeover", vr.pk), follow=True).content.decode()
    assert "You took over this case." in page and 'data-testid="approve"' in page
    assert VerificationRequest.objects.get(pk=vr.pk).claimed_by == supervisor
    event = StatusEvent.objects.get(account=vr.account, kind="claim_taken_over")
    assert event.acting_user == supervisor and event.data["from"] == reviewer.pk
    assert event.kind in StatusEvent.STAFF_ONLY_KINDS  # the audit trail, not the owner's page


def test_manual_escalation_is_recorded_as_manual_with_the_note(in_review, reviewer, supervisor,
                                                               client):
    vr = in_review()
    client.force_login(reviewer)
    client.post(_url("escalate", vr.pk), {"note": "证件疑似伪造"})
    vr.refresh_from_db()
    assert vr.escalated_at is not None and vr.escalation_reason == "manual"
    event = StatusEvent.objects.get(account=vr.account, kind="verification_escalated")
    assert event.data["reason"] == "manual" and event.data["note"] == "证件疑似伪造"
    assert event.acting_user == reviewer
    notice = Notice.objects.get(account=supervisor)
    assert "证件疑似伪造" in notice.display_body() and "overdue" not in notice.display_body()
    page = client.get(_change(vr.pk)).content.decode()
    assert "Escalated by a reviewer" in page and 'data-testid="escalate"' not in page


def test_the_sweep_escalates_cases_past_their_sla_as_overdue_once(in_review, reviewer,
                                                                  supervisor):
    late, on_time, manual = in_review(), in_review(), in_review()
    past = timezone.now() - timedelta(minutes=1)
    VerificationRequest.objects.filter(pk__in=[late.pk, manual.pk]).update(sla_due_at=past)
    services.verification_escalate(request=manual, acting_user=reviewer)
    assert tasks.verifications_escalate_overdue() == 1  # the beat task, run here
    assert services.verifications_escalate_overdue() == 0
    reasons = dict(VerificationRequest.objects.values_list("pk", "escalation_reason"))
    assert reasons == {late.pk: "overdue", on_time.pk: "", manual.pk: "manual"}
    event = StatusEvent.objects.get(account=late.account, kind="verification_escalated")
    assert event.data["reason"] == "overdue" and event.acting_user is None
    assert "verification.tasks.verifications_escalate_overdue" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def test_escalated_cases_are_left_to_supervisors_by_claim_next(in_review, reviewer, supervisor):
    vr = in_review()
    services.verification_escalate(request=vr, acting_user=reviewer)
    assert services.verification_claim_next(acting_user=reviewer) is None
    assert services.verification_claim_next(acting_user=supervisor) == vr
